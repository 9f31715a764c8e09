import Foundation
import SplitMix
import XCTest
@testable import Trees

enum Fixtures {
    static var directory: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    }

    static func url(_ relative: String) -> URL { directory.appendingPathComponent(relative) }

    struct Expected: Decodable {
        var model: String
        var rows: [[Double?]]
        var probabilities: [[Double]]
    }

    static func expected(_ name: String) throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: url("parity/\(name).expected.json")))
    }

    static func model(_ name: String) throws -> TreeModel {
        try TreeModel.load(path: url("parity/\(name).model.json").path)
    }
}

/// Normal deviates for the test tables, drawn from the project's seeded generator.
extension SplitMix64 {
    mutating func normal() -> Double {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &self), u2 = Double.random(in: 0..<1, using: &self)
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}
