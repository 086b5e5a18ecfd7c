import Server

/// The API's request-body decoders, for libFuzzer: each input is a body sent to every POST endpoint. A body must
/// get the API's own error (a 4xx naming the field) or decode; anything else would be a 500, and is the finding.
public enum HTTPHarness {
    /// A description of the unexpected errors, or nil.
    public static func run(_ bytes: UnsafeRawBufferPointer) -> String? {
        let unexpected = RequestDecoding.unexpectedErrors(bytes)
        return unexpected.isEmpty ? nil : "errors the API would answer with 500: \(unexpected)"
    }

    /// The seed corpus (Fuzz/Corpus/http): request bodies of every endpoint, as the tests send them.
    public static func seeds() -> [[UInt8]] {
        [
            #"{"prompt": "The capital of France is", "max_tokens": 32, "temperature": 0}"#,
            #"{"prompt": ["a", "b"], "max_tokens": 4, "stop": ["\n", "."], "logprobs": 2, "echo": true}"#,
            #"{"prompt": [[1, 2, 3], [4]], "n": 1, "best_of": 1, "seed": -1, "top_k": 40, "top_p": 0.95}"#,
            #"{"prompt": "Hi", "stream": true, "stream_options": {"include_usage": true}, "min_p": 0.05}"#,
            #"{"prompt": "x", "repeat_penalty": 1.1, "repeat_last_n": 64, "presence_penalty": 0.5, "frequency_penalty": -0.5}"#,
            #"{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}], "max_completion_tokens": 8}"#,
            #"{"messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}], "logprobs": true, "top_logprobs": 3}"#,
            #"{"content": "Hello <|im_start|> world", "add_special": true, "with_pieces": true, "parse_special": false}"#,
            #"{"tokens": [1, 2, 3, 2147483647]}"#,
            #"{"model": "fake-model", "prompt": "Hi", "n_predict": -1, "logit_bias": {}}"#,
            #"[1, 2, {"a": null}]"#,
            "{not json",
        ].map { Array($0.utf8) }
    }
}
