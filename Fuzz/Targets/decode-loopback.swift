// libFuzzer target: the frame decoder on BSD loopback (NULL, host byte order; LOOP, network byte order) frames, then the flow table on what it decoded.
// Built and run by scripts/fuzz.sh (docs/fuzzing.md); not part of the package build.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzDecode(data, size, linkTypes: [0, 108])   // Fuzz/Shared/DecodeTarget.swift
}
