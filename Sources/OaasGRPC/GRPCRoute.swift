/// A registered path and its method. Requests are matched on the `:path` bytes as they
/// arrive, so no String is made per request; the call shares the route's `path`.
struct GRPCRoute {
    let path: String
    let pathBytes: [UInt8]
    let method: GRPCMethod

    init(path: String, method: GRPCMethod) {
        self.path = path
        self.pathBytes = Array(path.utf8)
        self.method = method
    }
}
