// Lookups over the generated descriptor tables, shaped after the questions a
// gRPC server reflection request asks (file_by_filename, file_containing_symbol,
// list_services). Kept by hand, apart from the generated data, so that
// regenerating the protos never touches this logic.

extension OaasProtoDescriptors {
    /// The serialized `FileDescriptorProto` of one file.
    ///
    /// - Parameter fileName: the name protoc records, e.g. `"oprc/oprc-invoke.proto"`.
    /// - Returns: the bytes, or `nil` when no file has that name.
    public static func fileDescriptorProto(named fileName: String) -> [UInt8]? {
        files[fileName]
    }

    /// The name of the file that defines a fully-qualified symbol.
    ///
    /// - Parameter symbol: a package-qualified name such as `"oprc.OprcFunction"`,
    ///   `"oprc.OprcFunction.InvokeObj"` or `"grpc.health.v1.HealthCheckResponse.ServingStatus"`.
    ///   A leading dot is accepted, because descriptors write type references
    ///   that way (`".oprc.InvocationRequest"`) and clients pass them on as is.
    /// - Returns: the file name, or `nil` for an unknown symbol.
    public static func fileName(containingSymbol symbol: String) -> String? {
        let trimmed = symbol.hasPrefix(".") ? String(symbol.dropFirst()) : symbol
        return fileNameBySymbol[trimmed]
    }

    /// The serialized `FileDescriptorProto` of the file that defines a symbol.
    ///
    /// - Parameter symbol: as for ``fileName(containingSymbol:)``.
    /// - Returns: the bytes, or `nil` for an unknown symbol.
    public static func fileDescriptorProto(containingSymbol symbol: String) -> [UInt8]? {
        fileName(containingSymbol: symbol).flatMap { files[$0] }
    }

    /// A file's name followed by the names of every file it imports, directly or
    /// not, each once, nearest first.
    ///
    /// Reflection answers carry the dependencies along because a client cannot
    /// build a descriptor whose imports it has never seen.
    ///
    /// - Returns: `nil` when no file has that name.
    public static func fileNamesWithDependencies(named fileName: String) -> [String]? {
        guard files[fileName] != nil else { return nil }
        var ordered = [fileName]
        var seen: Set<String> = [fileName]
        var index = 0
        while index < ordered.count {
            for dependency in directDependencies[ordered[index], default: []]
            where seen.insert(dependency).inserted {
                ordered.append(dependency)
            }
            index += 1
        }
        return ordered
    }

    /// The serialized descriptors of a file and of everything it imports, in the
    /// order of ``fileNamesWithDependencies(named:)``: ready to put into a
    /// reflection `FileDescriptorResponse.file_descriptor_proto`.
    ///
    /// - Returns: `nil` when no file has that name.
    public static func fileDescriptorProtosWithDependencies(named fileName: String) -> [[UInt8]]? {
        fileNamesWithDependencies(named: fileName)?.compactMap { files[$0] }
    }

    /// Like ``fileDescriptorProtosWithDependencies(named:)``, for the file that
    /// defines a symbol (see ``fileName(containingSymbol:)``).
    ///
    /// - Returns: `nil` for an unknown symbol.
    public static func fileDescriptorProtosWithDependencies(containingSymbol symbol: String) -> [[UInt8]]? {
        fileName(containingSymbol: symbol).flatMap { fileDescriptorProtosWithDependencies(named: $0) }
    }
}
