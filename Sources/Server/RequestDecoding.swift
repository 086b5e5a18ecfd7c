import NIOCore

/// Every request-body decoder of the API, called without a server: what the HTTP fuzzer (Fuzz/) drives. Each
/// POST endpoint's body is parsed and its request built and checked as the route does before any generation;
/// chat requests are rendered with every template family.
package enum RequestDecoding {
    /// Decodes `body` as each endpoint would. Returns the errors that are not the API's own (APIError, answered
    /// 4xx): the router would answer those with 500, so each is a bug.
    package static func unexpectedErrors(_ body: UnsafeRawBufferPointer) -> [any Error] {
        let fields: RequestFields
        do { fields = try RequestFields.parse(ByteBuffer(bytes: body)) } catch { return error is APIError ? [] : [error] }
        var unexpected: [any Error] = []
        func check(_ decode: () throws -> Void) {
            do { try decode() } catch where !(error is APIError) { unexpected.append(error) } catch {}
        }
        check { _ = try CompletionRequest(fields) }
        check {
            let chat = try ChatRequest(fields)
            for family in ChatTemplate.Family.allCases { _ = ChatTemplate(family: family).render(chat.messages) }
        }
        check { _ = try TokenizeRoutes.content(fields) }
        check { _ = try TokenizeRoutes.tokenIDs(fields) }
        return unexpected
    }
}
