import ArgumentParser
import Foundation
import GGUF
import Tokenizer

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize", abstract: "Print the token ids and pieces of a text, like llama-tokenize.")

    @Option(name: .shortAndLong, help: "Path to a GGUF model file (only its metadata is read).") var model: String
    @Option(name: .long, help: "The text to tokenize.") var text: String
    @Flag(help: "Print a JSON array of {id, piece} objects.") var json = false
    @Flag(name: .customLong("no-parse-special"), help: "Treat special-token text as plain text.") var noParseSpecial = false

    func run() throws {
        let tokenizer = try Tokenizer(gguf: GGUFFile(path: model))
        let ids = tokenizer.encode(text, parseSpecial: !noParseSpecial)
        if json {
            struct Entry: Encodable { let id: Int32; let piece: String }
            let entries = ids.map { Entry(id: $0, piece: String(decoding: tokenizer.piece($0), as: UTF8.self)) }
            FileHandle.standardOutput.write(try JSONEncoder().encode(entries) + Data("\n".utf8))
        } else {
            for id in ids {
                let number = String(id)
                print(String(repeating: " ", count: max(0, 6 - number.count)) + number + " -> '"
                      + String(decoding: tokenizer.piece(id), as: UTF8.self) + "'")
            }
        }
    }
}
