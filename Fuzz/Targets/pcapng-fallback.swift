// libFuzzer target: the in-project pcapng reader (Sources/Capture/PcapngFallbackReader.swift), fed
// directly — libpcap only hands it files with interfaces of different link types or snap lengths,
// so the fuzzer reaches it here without having to get past libpcap first. The input is copied into
// ordinary heap memory (MappedFile(copying:)) so AddressSanitizer sees any read past its end.
// Built and run by scripts/fuzz.sh (docs/fuzzing.md); not part of the package build.
@testable import Capture
import Wire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let file = MappedFile(copying: UnsafeRawBufferPointer(start: size == 0 ? nil : data, count: size))
    var reader = PcapngFallbackReader(file: file)
    var steps = 0
    loop: while true {
        let before = reader.offset
        steps += 1
        switch reader.next() {
        case .packet(let packet):
            precondition(packet.bytes.count == packet.capturedLength)
            let start = packet.bytes.baseAddress.map { UnsafeRawPointer($0) - file.base } ?? 0
            precondition(packet.capturedLength == 0 || (start >= 0 && start + packet.capturedLength <= size), "packet outside the file")
            var sum = 0
            for b in packet.bytes { sum &+= Int(b) }
            if let first = reader.firstLinkType {
                _ = decode(linkType: LinkType(rawValue: Int32(first)), bytes: packet.bytes)
            }
            _ = sum
        case .skipped:
            break
        case .end:
            precondition(reader.offset == size)
            break loop
        case .broken(let problem):
            precondition(!problem.contains("\n"))
            break loop
        }
        precondition(reader.offset > before && reader.offset <= size, "the reader must move forward inside the file")
    }
    precondition(steps <= size / 12 + 1)
    return 0
}
