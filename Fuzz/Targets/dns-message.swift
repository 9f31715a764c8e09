// libFuzzer target: the DNS response reader (DNSMessage.addressAnswers: names, compression
// pointers, CNAME chains, A / AAAA records).
// Built and run by scripts/fuzz.sh (docs/fuzzing.md); not part of the package build.
import Flows
import Wire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let answers = DNSMessage.addressAnswers(UnsafeRawBufferPointer(start: size == 0 ? nil : data, count: size))
    // Each answer is a whole A or AAAA record after the 12-byte header: at least 1 + 10 + 4 bytes.
    precondition(answers.isEmpty || 12 + answers.count * 15 <= size)
    for a in answers { precondition(a.queriedName.utf8.count < 1024) }
    return 0
}
