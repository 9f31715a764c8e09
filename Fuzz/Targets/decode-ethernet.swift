// libFuzzer target: the frame decoder on Ethernet (DLT_EN10MB: VLAN tags, IPv4, IPv6, ARP) frames, then the flow table on what it decoded.
// Built and run by scripts/fuzz.sh (docs/fuzzing.md); not part of the package build.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzDecode(data, size, linkTypes: [1])   // Fuzz/Shared/DecodeTarget.swift
}
