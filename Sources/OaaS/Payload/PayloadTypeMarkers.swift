/// Lets the codec treat `Optional` specially without knowing its wrapped type statically: an
/// empty payload is `nil`, and an optional `Data` argument is raw bytes like a plain `Data`.
protocol PayloadOptionalType {
    static var payloadNone: Self { get }
    static var payloadWrappedType: Any.Type { get }
    static func payloadSome(_ value: Any) -> Self?
}

extension Optional: PayloadOptionalType {
    static var payloadNone: Self { .none }
    static var payloadWrappedType: Any.Type { Wrapped.self }
    static func payloadSome(_ value: Any) -> Self? {
        guard let wrapped = value as? Wrapped else { return nil }
        return .some(wrapped)
    }
}

/// Unwraps an encodable optional at the top level, where `nil` is an empty payload rather than
/// `null` (Python writes `None` as no bytes at all).
protocol PayloadOptionalEncodable {
    var payloadWrapped: (any Encodable)? { get }
}

extension Optional: PayloadOptionalEncodable where Wrapped: Encodable {
    var payloadWrapped: (any Encodable)? {
        switch self {
        case .none: nil
        case .some(let wrapped): wrapped
        }
    }
}

/// Marks `Dictionary` so the encoder can print its keys sorted: Swift dictionaries have no
/// stable order, and state bytes should not change from one process to the next.
protocol PayloadDictionaryMarker {}

extension Dictionary: PayloadDictionaryMarker {}
