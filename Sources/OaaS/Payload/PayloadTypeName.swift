/// How the codec names Swift types in messages: the plain name (`Double`, `Point`,
/// `Array<Int>`), without module prefix, since the reader is usually on the other side of an RPC.
enum PayloadTypeName {
    static func of(_ type: Any.Type) -> String {
        String(describing: type)
    }
}
