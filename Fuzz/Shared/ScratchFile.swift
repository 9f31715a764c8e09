// Shared by the fuzz targets that read a whole capture file (capture-file, analyze-capture).
import Glibc

/// One unlinked file in /dev/shm, rewritten for each input and opened by FileSource through
/// /proc/self/fd, so nothing is left behind when the fuzzer stops.
nonisolated(unsafe) var scratch: (fd: Int32, path: String) = {
    let dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
    var template = Array("\(dir)/streamprobe-fuzz-XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    precondition(fd >= 0, "cannot create a scratch file in \(dir)")
    template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
    return (fd, "/proc/self/fd/\(fd)")
}()

/// The scratch file holding exactly these bytes; its path.
func scratchFile(holding data: UnsafePointer<UInt8>?, count: Int) -> String {
    let (fd, path) = scratch
    precondition(ftruncate(fd, 0) == 0)
    if count > 0, let data { precondition(pwrite(fd, data, count, 0) == count) }
    return path
}
