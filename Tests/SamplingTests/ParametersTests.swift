import Foundation
import XCTest
@testable import Sampling

final class ParametersTests: XCTestCase {
    func testDefaultsAreLlamaCpps() {
        let p = SamplerParameters()
        XCTAssertEqual(p.temperature, 0.8)
        XCTAssertEqual(p.topK, 40)
        XCTAssertEqual(p.topP, 0.95)
        XCTAssertEqual(p.minP, 0.05)
        XCTAssertEqual(p.repeatPenalty, 1.0)
        XCTAssertEqual(p.repeatLastN, 64)
        XCTAssertEqual(p.presencePenalty, 0)
        XCTAssertEqual(p.frequencyPenalty, 0)
        XCTAssertFalse(p.penaltiesActive)
        XCTAssertNoThrow(try p.validate())
    }

    func testGreedyIsTemperatureZeroWithEverythingOff() throws {
        let g = SamplerParameters.greedy
        XCTAssertEqual(g.temperature, 0)
        XCTAssertEqual(g.topK, 0)
        XCTAssertEqual(g.topP, 1)
        XCTAssertEqual(g.minP, 0)
        XCTAssertFalse(g.penaltiesActive)
        try g.validate()
    }

    /// Every invalid value, one parameter at a time; the error must name that parameter and the value.
    func testEveryInvalidValueIsRejectedNamingTheParameter() {
        let cases: [(String, String, (inout SamplerParameters) -> Void)] = [
            ("temperature", "-0.1", { $0.temperature = -0.1 }),
            ("temperature", "nan", { $0.temperature = .nan }),
            ("temperature", "inf", { $0.temperature = .infinity }),
            ("topK", "-1", { $0.topK = -1 }),
            ("topP", "0.0", { $0.topP = 0 }),
            ("topP", "-0.5", { $0.topP = -0.5 }),
            ("topP", "1.01", { $0.topP = 1.01 }),
            ("topP", "nan", { $0.topP = .nan }),
            ("minP", "-0.01", { $0.minP = -0.01 }),
            ("minP", "1.5", { $0.minP = 1.5 }),
            ("minP", "nan", { $0.minP = .nan }),
            ("repeatPenalty", "0.0", { $0.repeatPenalty = 0 }),
            ("repeatPenalty", "-1.0", { $0.repeatPenalty = -1 }),
            ("repeatPenalty", "inf", { $0.repeatPenalty = .infinity }),
            ("repeatPenalty", "nan", { $0.repeatPenalty = .nan }),
            ("repeatLastN", "-2", { $0.repeatLastN = -2 }),
            ("presencePenalty", "2.5", { $0.presencePenalty = 2.5 }),
            ("presencePenalty", "-2.01", { $0.presencePenalty = -2.01 }),
            ("presencePenalty", "nan", { $0.presencePenalty = .nan }),
            ("frequencyPenalty", "-3.0", { $0.frequencyPenalty = -3 }),
            ("frequencyPenalty", "2.01", { $0.frequencyPenalty = 2.01 }),
            ("frequencyPenalty", "nan", { $0.frequencyPenalty = .nan }),
        ]
        for (name, value, mutate) in cases {
            var p = SamplerParameters()
            mutate(&p)
            do {
                try p.validate()
                XCTFail("\(name) = \(value) was accepted")
            } catch {
                XCTAssertEqual(error.parameter, name)
                XCTAssertTrue(error.description.contains("'\(name)'"), error.description)
                XCTAssertTrue(error.description.contains(value), "\(error.description) lacks \(value)")
                XCTAssertTrue(error.description.contains("allowed"), error.description)
            }
            XCTAssertThrowsError(try Sampler(parameters: p), "Sampler.init must validate \(name)")
        }
    }

    /// The edges of every range are allowed.
    func testBoundaryValuesAreAccepted() throws {
        let edges: [SamplerParameters] = [
            SamplerParameters(temperature: 0), SamplerParameters(temperature: 5),
            SamplerParameters(topK: 0), SamplerParameters(topK: 1_000_000),
            SamplerParameters(topP: 1), SamplerParameters(topP: 0.001),
            SamplerParameters(minP: 0), SamplerParameters(minP: 1),
            SamplerParameters(repeatPenalty: 0.01), SamplerParameters(repeatLastN: -1), SamplerParameters(repeatLastN: 0),
            SamplerParameters(presencePenalty: -2, frequencyPenalty: 2),
            SamplerParameters(presencePenalty: 2, frequencyPenalty: -2),
        ]
        for p in edges { try p.validate() }
    }

    func testDecodingFillsMissingKeysWithDefaults() throws {
        let json = Data(#"{"topK": 5, "seed": 18446744073709551615}"#.utf8)
        let p = try JSONDecoder().decode(SamplerParameters.self, from: json)
        var expected = SamplerParameters(topK: 5)
        expected.seed = .max
        XCTAssertEqual(p, expected)
    }

    func testCodableRoundTrip() throws {
        let p = SamplerParameters(temperature: 0.3, topK: 7, topP: 0.5, minP: 0.2, repeatPenalty: 1.3,
                                  repeatLastN: -1, presencePenalty: 0.4, frequencyPenalty: -0.6, seed: 99)
        let back = try JSONDecoder().decode(SamplerParameters.self, from: JSONEncoder().encode(p))
        XCTAssertEqual(back, p)
    }
}
