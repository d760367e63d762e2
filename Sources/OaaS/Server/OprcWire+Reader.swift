import OaasGRPC

// The protobuf reader under OprcWire's decoders and the stored object records'
// (ObjectRecord): protobuf's rules as OprcWire's comment states them. Any thread.
extension OprcWire {
    struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        var atEnd: Bool { offset >= bytes.count }

        mutating func varint() throws(Malformed) -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while offset < bytes.count {
                let byte = bytes[offset]
                offset += 1
                if shift == 63, byte > 1 { throw Malformed(description: "a varint overflows 64 bits") }
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
            throw Malformed(description: "a varint is truncated")
        }

        mutating func lengthDelimited() throws(Malformed) -> UnsafeRawBufferPointer {
            let length = try varint()
            guard length <= UInt64(bytes.count - offset) else {
                throw Malformed(description: "a field of \(length) bytes runs past the message's end")
            }
            let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + Int(length))])
            offset += Int(length)
            return slice
        }

        mutating func string(field: String) throws(Malformed) -> String {
            let raw = try lengthDelimited().bindMemory(to: UInt8.self)
            // Ids and names are nearly always ASCII, which `String(decoding:)` takes without a
            // validation pass of its own; `String(validating:)` costs several times more.
            if raw.allSatisfy({ $0 < 0x80 }) { return String(decoding: raw, as: UTF8.self) }
            guard let text = String(validating: raw, as: UTF8.self) else {
                throw Malformed(description: "\(field) is not valid UTF-8")
            }
            return text
        }

        /// Checks one `map<string, string>` entry (key 1, value 2, both UTF-8), which the
        /// runtime does not use but a malformed one still makes the request malformed.
        mutating func mapEntry() throws(Malformed) {
            var entry = Reader(bytes: try lengthDelimited())
            while !entry.atEnd {
                let key = try entry.varint()
                let number = key >> 3
                let wireType = Int(key & 7)
                guard number >= 1, number <= 536_870_911 else {
                    throw Malformed(description: "field number \(number) is out of range")
                }
                switch (number, wireType) {
                case (1, 2), (2, 2): _ = try entry.string(field: "options")
                default: try entry.skip(wireType: wireType, field: number)
                }
            }
        }

        mutating func skip(wireType: Int, field: UInt64, depth: Int = 0) throws(Malformed) {
            switch wireType {
            case 0: _ = try varint()
            case 1: try advance(8)
            case 2: _ = try lengthDelimited()
            case 3: try skipGroup(field, depth: depth)
            case 5: try advance(4)
            default: throw Malformed(description: "field \(field) has wire type \(wireType) where no group is open")
            }
        }

        /// Skips a (deprecated) group up to its matching end.
        private mutating func skipGroup(_ field: UInt64, depth: Int) throws(Malformed) {
            guard depth < 64 else { throw Malformed(description: "groups nest too deeply") }
            while !atEnd {
                let key = try varint()
                let number = key >> 3
                let wireType = Int(key & 7)
                guard number >= 1, number <= 536_870_911 else {
                    throw Malformed(description: "field number \(number) is out of range")
                }
                if wireType == 4 {
                    guard number == field else { throw Malformed(description: "group \(field) ends as group \(number)") }
                    return
                }
                try skip(wireType: wireType, field: number, depth: depth + 1)
            }
            throw Malformed(description: "group \(field) is not closed")
        }

        private mutating func advance(_ count: Int) throws(Malformed) {
            guard count <= bytes.count - offset else { throw Malformed(description: "a fixed-size field is truncated") }
            offset += count
        }
    }
}
