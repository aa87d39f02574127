// How a YAML scalar reads as a value, the same way for assessments and scenario files.
#ifndef ALIGN_INFERENCE_IO_YAML_SCALARS_H_
#define ALIGN_INFERENCE_IO_YAML_SCALARS_H_

#include <optional>
#include <string_view>

#include "yaml-cpp/yaml.h"

namespace align::inference {

// False for explicitly tagged strings ("…", '…', !!str): those never read as numbers or booleans.
bool IsPlain(const YAML::Node& node);

// A finite number written the YAML/JSON way ("92", "-1.5", "+3", "2e3"); nullopt otherwise.
std::optional<double> ParseNumber(std::string_view text);

// true/True/TRUE or false/False/FALSE; nullopt otherwise.
std::optional<bool> ParseBool(std::string_view text);

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_IO_YAML_SCALARS_H_
