#include "inference/io/yaml_scalars.h"

#include <charconv>
#include <cmath>
#include <string>
#include <system_error>

namespace align::inference {

bool IsPlain(const YAML::Node& node) {
  const std::string& tag = node.Tag();
  return tag != "!" && tag != "tag:yaml.org,2002:str";
}

std::optional<double> ParseNumber(std::string_view text) {
  if (text.starts_with('+')) {
    text.remove_prefix(1);
    if (text.starts_with('-') || text.starts_with('+')) return std::nullopt;
  }
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::optional<bool> ParseBool(std::string_view text) {
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  return std::nullopt;
}

}  // namespace align::inference
