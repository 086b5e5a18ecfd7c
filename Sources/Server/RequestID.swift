/// Ids for responses (`cmpl-…`, `chatcmpl-…`) that double as request ids in the log.
enum RequestID {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

    static func make(prefix: String) -> String {
        prefix + "-" + String((0..<24).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }
}
