/// A registered path and its method. Requests are matched on the `:path` bytes as they
/// arrive, so no String is made per request; a call keeps one reference to its route (a class,
/// so that costs one retain rather than copies of a String, an array and a closure).
final class GRPCRoute {
    let path: String
    let pathBytes: [UInt8]
    let method: GRPCMethod

    init(path: String, method: GRPCMethod) {
        self.path = path
        self.pathBytes = Array(path.utf8)
        self.method = method
    }
}
