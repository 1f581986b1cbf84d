// brigade fuzzing: takes typed values from the front of a fuzz input (zero when exhausted).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace brigade::fuzz {

class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> data) : data_(data) {}

  bool empty() const { return data_.empty(); }

  /// The next sizeof(T) bytes as a T (zero-padded past the end).
  template <class T>
  T take() {
    unsigned char bytes[sizeof(T)] = {};
    const std::size_t n = std::min(sizeof(T), data_.size());
    std::memcpy(bytes, data_.data(), n);
    data_ = data_.subspan(n);
    T v;
    std::memcpy(&v, bytes, sizeof(T));
    return v;
  }

  /// A string of up to `max` bytes, its length taken from the input first.
  std::string_view take_string(std::size_t max) {
    const std::size_t n = std::min<std::size_t>({take<std::uint8_t>(), max, data_.size()});
    const std::string_view s(reinterpret_cast<const char*>(data_.data()), n);
    data_ = data_.subspan(n);
    return s;
  }

 private:
  std::span<const std::uint8_t> data_;
};

}  // namespace brigade::fuzz
