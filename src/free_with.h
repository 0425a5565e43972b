// FreeWith<release>: a std::unique_ptr deleter that hands the pointer to a
// C library's own release function (BIO_free, nl_socket_free,
// pcre2_match_data_free, ...), so that an owner type is one line, as in
// openssl_ptr.h and netlink_ptr.h.
#pragma once

namespace autowg {

template <auto Release>
struct FreeWith {
  template <class T>
  void operator()(T* p) const {
    Release(p);
  }
};

}  // namespace autowg
