#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds the capture files below a directory, by content (magic number), not by name.
public enum CaptureDiscovery {
    /// File names that say "capture" (`x.pcap`, `x.pcapng`, `x.cap`, `x.pcap.gz`, …, any case).
    /// A file named so whose content is not a capture is reported, not skipped.
    public static let captureSuffixes = [".pcap", ".pcapng", ".cap", ".ntar", ".dmp"]
    static let compressionSuffixes = ["", ".gz", ".zst", ".xz", ".bz2"]

    public static func isNamedLikeCapture(_ path: String) -> Bool {
        let name = path.split(separator: "/").last.map { $0.lowercased() } ?? ""
        return captureSuffixes.contains { base in compressionSuffixes.contains { name.hasSuffix(base + $0) } }
    }

    /// What a directory holds: the captures (by content) and the files named like captures
    /// whose content is not one (gzip-compressed, empty, something else).
    public struct Listing: Sendable, Equatable {
        public var captures: [String]
        public var notCaptures: [String]
        /// Both, sorted by path: what a batch run goes through (the second kind fails with its reason).
        public var all: [String] { (captures + notCaptures).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } }
    }

    /// Every pcap / pcapng file below `directory`, recursively, sorted by path.
    public static func captures(under directory: String) throws(CaptureError) -> [String] {
        try list(directory).captures
    }

    /// The captures below `directory`, recursively, sorted by path, and the files named like
    /// captures that are not.
    ///
    /// Symbolic links are followed, but each directory is entered once (by device and inode),
    /// so link loops end; a file reached through several links is listed once, under the
    /// first path in sorted order. Unreadable subdirectories and files are skipped.
    public static func list(_ directory: String) throws(CaptureError) -> Listing {
        switch try FileProbe.status(path: directory) {
        case .directory: break
        case .regular, .other:
            throw CaptureError(.notADirectory, source: directory, message: "not a directory")
        }
        guard let top = opendir(directory) else {
            let code = errno
            if code == EACCES { throw CaptureError(.permissionDenied, source: directory, message: "permission denied (the directory is not readable)") }
            throw CaptureError(.io, source: directory, message: "cannot read directory: \(FileProbe.systemMessage(code))")
        }
        closedir(top)

        var walker = Walker()
        let root = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        walker.walk(root)
        var seenFiles = Set<FileID>()
        var listing = Listing(captures: [], notCaptures: [])
        for (path, id) in walker.files.sorted(by: { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }) {
            guard seenFiles.insert(id).inserted else { continue }
            if CaptureFileKind.detect(path: path) != nil {
                listing.captures.append(path)
            } else if isNamedLikeCapture(path) {
                listing.notCaptures.append(path)
            }
        }
        return listing
    }

    struct FileID: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    private struct Walker {
        var visitedDirectories = Set<FileID>()
        var files: [(String, FileID)] = []

        mutating func walk(_ path: String) {
            var st = stat()
            guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFDIR else { return }
            guard visitedDirectories.insert(FileID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))).inserted else { return }
            guard let dir = opendir(path) else { return }
            var names: [String] = []
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
                }
                if name != "." && name != ".." { names.append(name) }
            }
            closedir(dir)
            let prefix = path == "/" ? "/" : path + "/"
            for name in names {
                let child = prefix + name
                var cst = stat()
                guard stat(child, &cst) == 0 else { continue }   // dangling link, vanished file
                switch cst.st_mode & S_IFMT {
                case S_IFDIR:
                    walk(child)
                case S_IFREG:
                    if cst.st_size >= 4 || CaptureDiscovery.isNamedLikeCapture(child) {
                        files.append((child, FileID(device: UInt64(cst.st_dev), inode: UInt64(cst.st_ino))))
                    }
                default:
                    continue   // FIFOs, sockets, devices: never opened, so discovery cannot block
                }
            }
        }
    }
}
