import XCTest

final class RootCommandTests: XCTestCase {
    func testHelpListsExitCodes() throws {
        let result = try CLIRunner.run(["--help"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("Exit codes:"), result.stdout)
        XCTAssertTrue(result.stdout.contains("77  live capture: permission denied"), result.stdout)
    }

    func testUnknownOptionIsAUsageError() throws {
        let result = try CLIRunner.run(["--no-such-option"])
        XCTAssertEqual(result.status, 64)
    }
}
