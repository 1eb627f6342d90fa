import Testing
import TestSupport

extension Engine: CustomTestStringConvertible {}
