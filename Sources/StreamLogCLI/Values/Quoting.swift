import StreamLog

/// `name` quoted the way the library's messages name topics (``TopicName/quoted(_:)``).
func quoted(_ name: String) -> String { TopicName.quoted(name) }
