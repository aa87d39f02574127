#include "absl/strings/string_view.h"
#include "inference/util/digest.h"

#include <openssl/evp.h>



namespace align::inference {

std::string Sha256Hex(absl::string_view data) {
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), hash, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[hash[i] >> 4]);
    hex.push_back(kHex[hash[i] & 0xf]);
  }
  return hex;
}

}  // namespace align::inference
