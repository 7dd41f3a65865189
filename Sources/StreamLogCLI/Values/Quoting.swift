/// `name` in double quotes with quotes, backslashes and control characters escaped, shortened
/// past 200 characters: how messages name topics (the library's messages use the same form).
func quoted(_ name: String) -> String {
    var result = "\""
    for scalar in name.unicodeScalars.prefix(200) {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F: result += "\\u{\(String(scalar.value, radix: 16))}"
        default: result.unicodeScalars.append(scalar)
        }
    }
    if name.unicodeScalars.count > 200 { result += "…" }
    return result + "\""
}
