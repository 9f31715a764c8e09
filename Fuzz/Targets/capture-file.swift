// libFuzzer target: a whole capture file (pcap in either byte order and resolution, pcapng with one
// or several interfaces) read through FileSource — libpcap, and the in-project pcapng reader when
// libpcap stops at an odd interface — then every packet decoded and accounted in a flow table.
// Built and run by scripts/fuzz.sh (docs/fuzzing.md); not part of the package build.
import Capture
import Flows
import Glibc
import Wire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let path = scratchFile(holding: data, count: size)
    let source: FileSource
    do {
        source = try FileSource(path: path)
    } catch {
        // Refused at open: one line naming the file (CaptureError.description), an exit code of 66.
        precondition(error.description.hasPrefix(path + ": ") && !error.description.contains("\n"), error.description)
        precondition(error.exitCode == 66, error.description)
        return 0
    }
    let linkType = LinkType(rawValue: source.linkType)
    var table = FlowTable(configuration: FlowTableConfiguration(keepFinished: false))
    var count = 0
    do {
        let end = try source.forEachPacket { packet in
            precondition(packet.bytes.count == packet.capturedLength && packet.capturedLength <= size)
            var sum = 0
            for b in packet.bytes { sum &+= Int(b) }   // every delivered byte is readable
            let p = decode(linkType: linkType, bytes: packet.bytes)
            _ = table.process(p, bytes: packet.bytes, time: packet.timestamp.timeInterval, frameLength: packet.originalLength)
            count += 1
            return sum >= 0
        }
        if case .truncated(let warning) = end { precondition(!warning.contains("\n"), warning) }
    } catch let error as CaptureError {
        precondition(!error.description.contains("\n"), error.description)
    } catch {
        preconditionFailure("unexpected error \(error)")
    }
    precondition(source.packetsRead == count)
    table.finish()
    return 0
}
