/// The exit codes, as `--help` shows them and the README documents them.
enum ExitStatusHelp {
    static let text = """
        Exit codes:
          0   success
          1   internal error (a bug: please report it)
          2   batch mode: at least one capture failed (the others were analysed)
          64  usage error (bad option or argument)
          65  bad model: malformed model file, or features the model needs cannot be computed
          66  unreadable input: missing, empty, truncated-at-start or corrupt capture, unsupported link type
              (also: an output file that cannot be created)
          69  live capture: unknown or unusable interface
          77  live capture: permission denied (needs root or CAP_NET_RAW), or root could not be given up (--user)
        """
}
