import Foundation
import NIOCore

/// A request body parsed as JSON, read field by field so that every wrong type or value becomes a 400 that
/// names the parameter and says what is allowed.
enum ParsedJSON: Decodable, Sendable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([ParsedJSON])
    case object([String: ParsedJSON])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .integer(i) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([ParsedJSON].self) { self = .array(a) }
        else { self = .object(try c.decode([String: ParsedJSON].self)) }
    }

    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// The top-level object of a request, with typed accessors that throw `APIError.invalid` naming the field.
struct RequestFields: Sendable {
    let fields: [String: ParsedJSON]
    /// Prefix for parameter names in errors (e.g. "stream_options.").
    let path: String

    init(fields: [String: ParsedJSON], path: String = "") {
        self.fields = fields
        self.path = path
    }

    static func parse(_ body: ByteBuffer) throws -> RequestFields {
        let parsed: ParsedJSON
        do {
            parsed = try JSONDecoder().decode(ParsedJSON.self, from: Data(body.readableBytesView))
        } catch {
            throw APIError.invalid(nil, "the request body is not valid JSON", code: "invalid_json")
        }
        guard case .object(let fields) = parsed else {
            throw APIError.invalid(nil, "the request body must be a JSON object, got \(parsed.typeName)", code: "invalid_json")
        }
        return RequestFields(fields: fields)
    }

    /// The value of `key`; nil when absent or null.
    func value(_ key: String) -> ParsedJSON? {
        guard let v = fields[key] else { return nil }
        if case .null = v { return nil }
        return v
    }

    func wrongType(_ key: String, _ expected: String) -> APIError {
        .invalid(path + key, "'\(path + key)' must be \(expected), got \(value(key)?.typeName ?? "null")", code: "invalid_type")
    }

    func int(_ key: String) throws -> Int? {
        switch value(key) {
        case nil: return nil
        case .integer(let i): return i
        case .number(let d) where d.rounded() == d && abs(d) < 9e15: return Int(d)
        default: throw wrongType(key, "an integer")
        }
    }

    func float(_ key: String) throws -> Float? {
        switch value(key) {
        case nil: return nil
        case .integer(let i): return Float(i)
        case .number(let d): return Float(d)
        default: throw wrongType(key, "a number")
        }
    }

    func bool(_ key: String) throws -> Bool? {
        switch value(key) {
        case nil: return nil
        case .bool(let b): return b
        default: throw wrongType(key, "a boolean")
        }
    }

    func string(_ key: String) throws -> String? {
        switch value(key) {
        case nil: return nil
        case .string(let s): return s
        default: throw wrongType(key, "a string")
        }
    }

    func object(_ key: String) throws -> RequestFields? {
        switch value(key) {
        case nil: return nil
        case .object(let o): return RequestFields(fields: o, path: path + key + ".")
        default: throw wrongType(key, "an object")
        }
    }

    /// An integer that must lie in `range`.
    func int(_ key: String, in range: ClosedRange<Int>, meaning: String = "") throws -> Int? {
        guard let v = try int(key) else { return nil }
        guard range.contains(v) else {
            throw APIError.invalid(path + key, "'\(path + key)' is \(v); allowed: an integer in [\(range.lowerBound), \(range.upperBound)]\(meaning)")
        }
        return v
    }
}
