import Glibc

/// Lets this process open at least `wanted` descriptors if it can: raises the soft RLIMIT_NOFILE,
/// and the hard limit too when privileged. Returns the soft limit in force afterwards (every client
/// socket is a descriptor: servers and load generators call this before they accept or connect).
/// Child processes inherit the result.
@discardableResult
public func raiseOpenFileLimit(to wanted: Int) -> Int {
    var limit = rlimit()
    let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    guard getrlimit(resource, &limit) == 0 else { return 1024 }
    if Int(limit.rlim_cur) < wanted {
        if Int(limit.rlim_max) < wanted {
            var bigger = limit
            bigger.rlim_max = rlim_t(wanted)
            bigger.rlim_cur = rlim_t(wanted)
            if setrlimit(resource, &bigger) == 0 { return wanted }
        }
        limit.rlim_cur = min(rlim_t(wanted), limit.rlim_max)
        _ = setrlimit(resource, &limit)
        _ = getrlimit(resource, &limit)
    }
    return Int(limit.rlim_cur)
}
