#include "inference/io/assessment_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "inference/io/observation_index.h"
#include "inference/io/yaml_documents.h"
#include "inference/io/yaml_scalars.h"
#include "inference/portfolio/portfolio.h"
#include "inference/util/absl_view.h"
#include "inference/util/suggest.h"
#include "inference/util/utf8.h"
#include "yaml-cpp/depthguard.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/yaml.h"

namespace align::inference {
namespace {

constexpr size_t kMaxReported = 50;
constexpr size_t kMaxShownBytes = 40;  // of a value quoted in a message
constexpr size_t kMaxPathBytes = 100;  // of an indicator id in a field path
constexpr std::uintmax_t kMaxFileBytes = 64u << 20;

// Most texts checked are empty (an observation's source, usually): no call for those.
bool ValidUtf8(std::string_view text) { return text.empty() || IsValidUtf8(AbslView(text)); }

// ---------------------------------------------------------------------------------------------
// Collected problems.

// 1-based; line 0 when the problem has no position (validated protos).
struct Position {
  int line = 0;
  int column = 0;
};

struct Problem {
  Position at;
  std::string path;
  std::string message;
};

class Problems {
 public:
  void Add(Position at, std::string path, std::string message) {
    items_.push_back({at, std::move(path), std::move(message)});
  }
  bool empty() const { return items_.empty(); }

  // InvalidArgument with one problem per line, sorted by position, capped at kMaxReported.
  absl::Status ToStatus(std::string_view origin) const {
    std::vector<const Problem*> sorted;
    for (const Problem& problem : items_) sorted.push_back(&problem);
    std::stable_sort(sorted.begin(), sorted.end(), [](const Problem* a, const Problem* b) {
      return std::pair(a->at.line, a->at.column) < std::pair(b->at.line, b->at.column);
    });
    std::vector<std::string> lines;
    for (size_t i = 0; i < sorted.size() && i < kMaxReported; ++i) {
      const Problem& problem = *sorted[i];
      std::string line;
      if (problem.at.line > 0) {
        absl::StrAppend(&line, AbslView(origin), ":", problem.at.line, ":", problem.at.column,
                        ": ");
      }
      if (!problem.path.empty()) absl::StrAppend(&line, problem.path, ": ");
      absl::StrAppend(&line, problem.message);
      lines.push_back(std::move(line));
    }
    if (sorted.size() > kMaxReported) {
      lines.push_back(absl::StrCat("… and ", sorted.size() - kMaxReported, " more"));
    }
    return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
  }

 private:
  std::vector<Problem> items_;
};

std::string Expected(std::string_view expected, std::string_view found) {
  return absl::StrCat("expected ", AbslView(expected), ", got ", AbslView(found));
}

// ---------------------------------------------------------------------------------------------
// Values and how they are shown in messages.


// `text` with C escapes (UTF-8 kept unless invalid), cut to about `max_bytes` and marked "…".
std::string Escape(std::string_view text, size_t max_bytes) {
  const bool valid = ValidUtf8(text);
  size_t cut = std::min(text.size(), max_bytes);
  // Never split a UTF-8 sequence.
  while (valid && cut > 0 && cut < text.size() &&
         (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  const absl::string_view kept = AbslView(text.substr(0, cut));
  return absl::StrCat(valid ? absl::Utf8SafeCEscape(kept) : absl::CEscape(kept),
                      cut < text.size() ? "…" : "");
}

// "text", escaped and shortened for a message.
std::string Quote(std::string_view text) {
  return absl::StrCat("\"", Escape(text, kMaxShownBytes), "\"");
}

// Shortest text that reads back as the same double: 100, 0.1, 1e+21.
std::string FormatNumber(double value) {
  char buffer[32];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  if (error != std::errc()) return absl::StrCat(value);
  return std::string(buffer, end);
}

using Value = std::variant<double, bool, std::string>;

std::string Show(const Value& value) {
  if (const double* number = std::get_if<double>(&value)) return FormatNumber(*number);
  if (const bool* flag = std::get_if<bool>(&value)) return *flag ? "true" : "false";
  return Quote(std::get<std::string>(value));
}

// ---------------------------------------------------------------------------------------------
// Checks shared by the parser and ValidateAssessment. Each returns "" when the value is fine,
// else the message ("expected …, got …").

constexpr std::string_view kLevelNames = "none, low, medium, high";

std::string RangeText(const IndicatorSchema& schema) {
  std::string text = "a number";
  if (schema.min && schema.max) {
    absl::StrAppend(&text, " in [", FormatNumber(*schema.min), ", ", FormatNumber(*schema.max),
                    "]");
  } else if (schema.min) {
    absl::StrAppend(&text, " >= ", FormatNumber(*schema.min));
  } else if (schema.max) {
    absl::StrAppend(&text, " <= ", FormatNumber(*schema.max));
  }
  if ((schema.min || schema.max) && !schema.unit.empty()) absl::StrAppend(&text, " ", schema.unit);
  return text;
}

std::string CheckDeclared(std::string_view id, const ObservationSchema& schema) {
  if (schema.contains(AbslView(id))) return "";
  const std::vector<std::string>& built_in = PortfolioIndicatorIds();
  if (std::find(built_in.begin(), built_in.end(), id) != built_in.end()) {
    return "built-in indicator computed from service_areas; it cannot be observed";
  }
  std::vector<std::string_view> declared;
  declared.reserve(schema.size());
  for (const auto& [name, unused] : schema) declared.push_back(name);
  // Sorted so that ties among suggestions do not depend on hash order.
  std::sort(declared.begin(), declared.end());
  return absl::StrCat("undeclared indicator", DidYouMean(ClosestNames(id, declared)));
}

std::string CheckAgainstSchema(const Value& value, const IndicatorSchema& schema) {
  switch (schema.type) {
    case IndicatorSchema::Type::kNumber: {
      const double* number = std::get_if<double>(&value);
      if (number == nullptr || (schema.min && *number < *schema.min) ||
          (schema.max && *number > *schema.max)) {
        return Expected(RangeText(schema), Show(value));
      }
      return "";
    }
    case IndicatorSchema::Type::kBool:
      if (!std::holds_alternative<bool>(value)) return Expected("true or false", Show(value));
      return "";
    case IndicatorSchema::Type::kChoice: {
      if (schema.choices.empty() && std::holds_alternative<std::string>(value)) return "";
      const std::string* choice = std::get_if<std::string>(&value);
      if (choice != nullptr && std::find(schema.choices.begin(), schema.choices.end(), *choice) !=
                                   schema.choices.end()) {
        return "";
      }
      const std::string expected =
          schema.choices.empty() ? "a choice"
                                 : absl::StrCat("one of ", absl::StrJoin(schema.choices, ", "));
      std::string message = Expected(expected, Show(value));
      if (choice != nullptr) {
        std::vector<std::string_view> candidates(schema.choices.begin(), schema.choices.end());
        absl::StrAppend(&message, DidYouMean(ClosestNames(*choice, candidates)));
      }
      return message;
    }
  }
  return "";
}

bool IsBlank(std::string_view text) { return absl::StripAsciiWhitespace(AbslView(text)).empty(); }

// Whether an observation's value is of the declared type and within bounds: the usual case,
// accepted without building a Value. Anything else takes the path that words the problem.
bool FitsSchema(const proto::Observation& observation, const IndicatorSchema& schema) {
  switch (observation.value_case()) {
    case proto::Observation::kNumber: {
      const double number = observation.number();
      constexpr double kNoBound = std::numeric_limits<double>::infinity();
      return schema.type == IndicatorSchema::Type::kNumber &&
             NumberFits(number, schema.min.value_or(-kNoBound), schema.max.value_or(kNoBound));
    }
    case proto::Observation::kFlag:
      return schema.type == IndicatorSchema::Type::kBool;
    case proto::Observation::kChoice: {
      if (schema.type != IndicatorSchema::Type::kChoice) return false;
      const std::string& choice = observation.choice();
      if (schema.choices.empty()) return !IsBlank(choice) && ValidUtf8(choice);
      return std::find(schema.choices.begin(), schema.choices.end(), choice) !=
             schema.choices.end();
    }
    case proto::Observation::VALUE_NOT_SET:
      break;
  }
  return false;
}

// YYYY-MM-DD naming a real calendar day.
bool IsIsoDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  auto digits = [&](size_t from, size_t count) {
    int value = 0;
    for (size_t i = from; i < from + count; ++i) value = value * 10 + (text[i] - '0');
    return value;
  };
  const int year = digits(0, 4);
  const int month = digits(5, 2);
  const int day = digits(8, 2);
  if (month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDaysInMonth[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDaysInMonth[month - 1] + (month == 2 && leap ? 1 : 0);
}

constexpr std::string_view kDateExpected = "a calendar date as YYYY-MM-DD";
constexpr std::string_view kNameExpected = "a non-empty name";
constexpr std::string_view kTextExpected = "UTF-8 text";
constexpr std::string_view kWeightExpected = "a positive number";
constexpr std::string_view kUtilisationExpected = "a number in [0, 100]";
constexpr std::string_view kConfidenceExpected = "a number in (0, 1]";
constexpr std::string_view kChoiceExpected = "a non-empty choice";

bool ValidWeight(double weight) { return std::isfinite(weight) && weight > 0; }
bool ValidUtilisation(double utilisation) { return utilisation >= 0 && utilisation <= 100; }
bool ValidConfidence(double confidence) { return confidence > 0 && confidence <= 1; }

// What is wrong with an observation's value, worded; "" when nothing is (FitsSchema's answer,
// the long way).
std::string ValueProblem(const proto::Observation& observation, const IndicatorSchema& schema) {
  std::optional<Value> value;
  switch (observation.value_case()) {
    case proto::Observation::kNumber:
      if (!std::isfinite(observation.number())) {
        return Expected("a finite number", FormatNumber(observation.number()));
      }
      value = observation.number();
      break;
    case proto::Observation::kFlag:
      value = observation.flag();
      break;
    case proto::Observation::kChoice:
      if (IsBlank(observation.choice()) || !ValidUtf8(observation.choice())) {
        return Expected(kChoiceExpected, Quote(observation.choice()));
      }
      value = observation.choice();
      break;
    case proto::Observation::VALUE_NOT_SET:
      return Expected("a number, flag or choice", "no value");
  }
  return CheckAgainstSchema(*value, schema);
}

std::string ObservationPath(std::string_view id) {
  return absl::StrCat("observations[\"", Escape(id, kMaxPathBytes), "\"]");
}

// ---------------------------------------------------------------------------------------------
// The YAML reader.

struct FieldName {
  std::string_view proto_name;
  std::string_view json_name;
};

constexpr FieldName kAssessmentFields[] = {
    {"organisation", "organisation"}, {"date", "date"},
    {"description", "description"},   {"service_areas", "serviceAreas"},
    {"observations", "observations"},
};
constexpr FieldName kServiceAreaFields[] = {
    {"name", "name"},
    {"weight", "weight"},
    {"strategic_intent", "strategicIntent"},
    {"market_space", "marketSpace"},
    {"demand", "demand"},
    {"opportunity", "opportunity"},
    {"capability", "capability"},
    {"note", "note"},
};
constexpr FieldName kCapabilityFields[] = {{"level", "level"}, {"utilisation", "utilisation"}};
constexpr FieldName kObservationFields[] = {
    {"value", "value"},   {"number", "number"},         {"flag", "flag"},
    {"choice", "choice"}, {"confidence", "confidence"}, {"source", "source"},
};

std::string Join(std::string_view path, std::string_view field) {
  return path.empty() ? std::string(field) : absl::StrCat(AbslView(path), ".", AbslView(field));
}

std::string Show(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Scalar:
      if (IsPlain(node) && (ParseNumber(node.Scalar()) || ParseBool(node.Scalar()))) {
        return node.Scalar();
      }
      return Quote(node.Scalar());
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}


Position ToPosition(const YAML::Mark& mark) {
  if (mark.is_null()) return {};
  return {mark.line + 1, mark.column + 1};
}

class Reader {
 public:
  Reader(std::string_view origin, const ObservationSchema* schema)
      : origin_(origin), schema_(schema) {}

  absl::StatusOr<proto::Assessment> Read(std::string_view text) {
    YAML::Node root;
    try {
      absl::Status single = CheckSingleDocument(text);
      if (!single.ok()) return single;
      root = YAML::Load(std::string(text));
    } catch (const YAML::DeepRecursion& error) {
      // yaml-cpp's own message for this is "bad file".
      return Malformed(error.mark, "nested too deeply");
    } catch (const YAML::Exception& error) {
      return Malformed(error.mark, error.msg);
    }
    if (root.IsNull()) {
      return absl::InvalidArgumentError(absl::StrCat(origin_, ": empty assessment"));
    }

    proto::Assessment assessment;
    try {
      ReadAssessment(root, assessment);
    } catch (const YAML::Exception& error) {
      // Not expected once the text has parsed; reported rather than thrown all the same.
      return absl::InternalError(absl::StrCat(origin_, ": ", error.what()));
    }
    if (!problems_.empty()) return problems_.ToStatus(origin_);
    return assessment;
  }

 private:
  // InvalidArgument unless `text` holds at most one document with content; throws
  // YAML::Exception for malformed text. YAML::LoadAll is not used: in yaml-cpp 0.7 it loops
  // forever, allocating, on input such as "," (jbeder/yaml-cpp#1040).
  absl::Status CheckSingleDocument(std::string_view text) const {
    DocumentScan scan = ScanDocuments(text);
    if (scan.stuck) {
      const size_t pos = static_cast<size_t>(std::max(scan.stuck->pos, 0));
      return Malformed(*scan.stuck, pos < text.size()
                                        ? absl::StrCat("unexpected ", Quote(text.substr(pos, 1)))
                                        : "unexpected end of text");
    }
    for (const auto& [index, mark] : scan.roots) {
      if (index > 0) {
        return Malformed(mark, Expected("a single assessment document", "a second one"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status Malformed(const YAML::Mark& mark, std::string_view raw_message) const {
    // yaml-cpp quotes the offending byte, which may not be valid UTF-8.
    const std::string message =
        ValidUtf8(raw_message) ? std::string(raw_message) : absl::CEscape(AbslView(raw_message));
    const Position at = ToPosition(mark);
    if (at.line == 0) {
      return absl::InvalidArgumentError(absl::StrCat(origin_, ": ", AbslView(message)));
    }
    return absl::InvalidArgumentError(
        absl::StrCat(origin_, ":", at.line, ":", at.column, ": ", AbslView(message)));
  }

  void Add(Position at, std::string path, std::string message) {
    problems_.Add(at, std::move(path), std::move(message));
  }
  void Add(const YAML::Node& node, std::string path, std::string message) {
    Add(ToPosition(node.Mark()), std::move(path), std::move(message));
  }

  // Calls handle(field, path, value, at) for every known field of the map `node`, where `field`
  // is the proto name and `path` uses the spelling found. Reports unknown and repeated fields.
  // `at` is the value's position, or the key's when the value is empty (yaml-cpp places empty
  // values at the next token).
  template <size_t N, typename Handle>
  void ForEachField(const YAML::Node& node, std::string_view path, const FieldName (&fields)[N],
                    Handle handle) {
    struct Seen {
      std::string_view spelling;
      int line;
    };
    absl::flat_hash_map<std::string_view, Seen> seen;
    for (const auto& entry : node) {
      const YAML::Node& key = entry.first;
      const YAML::Node& value = entry.second;
      const Position key_at = ToPosition(key.Mark());
      if (!key.IsScalar()) {
        Add(key_at, std::string(path), Expected("a field name", Show(key)));
        continue;
      }
      const std::string& spelling = key.Scalar();
      const std::string field_path = Join(path, Escape(spelling, kMaxShownBytes));
      const FieldName* field = nullptr;
      for (const FieldName& candidate : fields) {
        if (spelling == candidate.proto_name || spelling == candidate.json_name) field = &candidate;
      }
      if (field == nullptr) {
        Add(key_at, field_path, UnknownField(spelling, fields));
        continue;
      }
      auto [it, inserted] = seen.try_emplace(field->proto_name, Seen{field->proto_name, 0});
      if (!inserted) {
        Add(key_at, field_path,
            it->second.spelling == spelling
                ? absl::StrCat("given twice, first at line ", it->second.line)
                : absl::StrCat("given twice, first as ", AbslView(it->second.spelling), " at line ",
                               it->second.line));
        continue;
      }
      it->second =
          Seen{spelling == field->proto_name ? field->proto_name : field->json_name, key_at.line};
      const Position at = value.IsNull() ? key_at : ToPosition(value.Mark());
      handle(field->proto_name, field_path, value, at);
    }
  }

  template <size_t N>
  static std::string UnknownField(std::string_view spelling, const FieldName (&fields)[N]) {
    std::vector<std::string_view> candidates;
    std::vector<std::string> proto_names;
    for (const FieldName& field : fields) {
      candidates.push_back(field.proto_name);
      if (field.json_name != field.proto_name) candidates.push_back(field.json_name);
      proto_names.emplace_back(field.proto_name);
    }
    std::string hint = DidYouMean(ClosestNames(spelling, candidates));
    if (hint.empty()) hint = absl::StrCat("; known fields are ", absl::StrJoin(proto_names, ", "));
    return absl::StrCat("unknown field", hint);
  }

  // Scalar readers: the value, or nullopt after reporting what was expected.
  std::optional<std::string> ReadText(const YAML::Node& node, const std::string& path, Position at,
                                      std::string_view expected = "a string") {
    if (!node.IsScalar()) {
      Add(at, path, Expected(expected, Show(node)));
      return std::nullopt;
    }
    if (!ValidUtf8(node.Scalar())) {
      Add(at, path, Expected(kTextExpected, Quote(node.Scalar())));
      return std::nullopt;
    }
    return node.Scalar();
  }

  std::optional<double> ReadNumber(const YAML::Node& node, const std::string& path, Position at,
                                   std::string_view expected) {
    if (node.IsScalar() && IsPlain(node)) {
      if (std::optional<double> number = ParseNumber(node.Scalar())) return number;
    }
    Add(at, path, Expected(expected, Show(node)));
    return std::nullopt;
  }

  std::optional<bool> ReadBool(const YAML::Node& node, const std::string& path, Position at) {
    if (node.IsScalar() && IsPlain(node)) {
      if (std::optional<bool> flag = ParseBool(node.Scalar())) return flag;
    }
    Add(at, path, Expected("true or false", Show(node)));
    return std::nullopt;
  }

  std::optional<proto::Level> ReadLevel(const YAML::Node& node, const std::string& path,
                                        Position at) {
    if (node.IsScalar()) {
      std::string name = absl::AsciiStrToLower(node.Scalar());
      if (name.starts_with("level_")) name.erase(0, 6);
      if (name == "none") return proto::LEVEL_NONE;
      if (name == "low") return proto::LEVEL_LOW;
      if (name == "medium") return proto::LEVEL_MEDIUM;
      if (name == "high") return proto::LEVEL_HIGH;
    }
    Add(at, path, Expected(absl::StrCat("one of ", AbslView(kLevelNames)), Show(node)));
    return std::nullopt;
  }

  void ReadAssessment(const YAML::Node& node, proto::Assessment& out) {
    if (!node.IsMap()) {
      Add(node, "", Expected("a map of assessment fields", Show(node)));
      return;
    }
    ForEachField(
        node, "", kAssessmentFields,
        [&](std::string_view field, const std::string& path, const YAML::Node& value, Position at) {
          if (field == "organisation") {
            if (auto text = ReadText(value, path, at)) out.set_organisation(*text);
          } else if (field == "date") {
            if (auto text = ReadText(value, path, at, kDateExpected)) {
              if (IsIsoDate(*text)) {
                out.set_date(*text);
              } else {
                Add(at, path, Expected(kDateExpected, Show(value)));
              }
            }
          } else if (field == "description") {
            if (auto text = ReadText(value, path, at)) out.set_description(*text);
          } else if (field == "service_areas") {
            ReadServiceAreas(value, path, at, out);
          } else if (field == "observations") {
            ReadObservations(value, path, at, out);
          }
        });
  }

  void ReadServiceAreas(const YAML::Node& node, const std::string& path, Position at,
                        proto::Assessment& out) {
    if (node.IsNull()) return;  // "service_areas:" with every entry commented out
    if (!node.IsSequence()) {
      Add(at, path, Expected("a list of service areas", Show(node)));
      return;
    }
    // Name -> path of the area that first used it.
    absl::flat_hash_map<std::string, std::string> names;
    size_t index = 0;
    for (const YAML::Node& item : node) {
      const std::string item_path = absl::StrCat(path, "[", index++, "]");
      const Position item_at = item.IsNull() ? at : ToPosition(item.Mark());
      if (!item.IsMap()) {
        Add(item_at, item_path, Expected("a map of service area fields", Show(item)));
        continue;
      }
      proto::ServiceArea& area = *out.add_service_areas();
      bool named = false;
      ForEachField(
          item, item_path, kServiceAreaFields,
          [&](std::string_view field, const std::string& field_path, const YAML::Node& value,
              Position value_at) {
            if (field == "name") {
              named = true;
              std::optional<std::string> name =
                  ReadText(value, field_path, value_at, kNameExpected);
              if (!name) return;
              if (IsBlank(*name)) {
                Add(value_at, field_path, Expected(kNameExpected, Show(value)));
                return;
              }
              auto [first, inserted] = names.try_emplace(*name, item_path);
              if (!inserted) {
                Add(value_at, field_path,
                    Expected("a unique name",
                             absl::StrCat(Quote(*name), " again (first at ", first->second, ")")));
              }
              area.set_name(*name);
            } else if (field == "weight") {
              std::optional<double> weight =
                  ReadNumber(value, field_path, value_at, kWeightExpected);
              if (!weight) return;
              if (!ValidWeight(*weight)) {
                Add(value_at, field_path, Expected(kWeightExpected, Show(value)));
                return;
              }
              area.set_weight(*weight);
            } else if (field == "strategic_intent") {
              if (auto flag = ReadBool(value, field_path, value_at)) {
                area.set_strategic_intent(*flag);
              }
            } else if (field == "market_space") {
              if (auto flag = ReadBool(value, field_path, value_at)) {
                area.set_market_space(*flag);
              }
            } else if (field == "demand") {
              if (auto level = ReadLevel(value, field_path, value_at)) area.set_demand(*level);
            } else if (field == "opportunity") {
              if (auto flag = ReadBool(value, field_path, value_at)) {
                area.set_opportunity(*flag);
              }
            } else if (field == "capability") {
              ReadCapability(value, field_path, value_at, *area.mutable_capability());
            } else if (field == "note") {
              if (auto text = ReadText(value, field_path, value_at)) area.set_note(*text);
            }
          });
      if (!named) {
        Add(item_at, Join(item_path, "name"), Expected(kNameExpected, "nothing"));
      }
    }
  }

  void ReadCapability(const YAML::Node& node, const std::string& path, Position at,
                      proto::Capability& out) {
    if (!node.IsMap()) {
      Add(at, path, Expected("a map with level and utilisation", Show(node)));
      return;
    }
    ForEachField(node, path, kCapabilityFields,
                 [&](std::string_view field, const std::string& field_path, const YAML::Node& value,
                     Position value_at) {
                   if (field == "level") {
                     if (auto level = ReadLevel(value, field_path, value_at)) out.set_level(*level);
                   } else if (field == "utilisation") {
                     std::optional<double> utilisation =
                         ReadNumber(value, field_path, value_at, kUtilisationExpected);
                     if (!utilisation) return;
                     if (!ValidUtilisation(*utilisation)) {
                       Add(value_at, field_path, Expected(kUtilisationExpected, Show(value)));
                       return;
                     }
                     out.set_utilisation(*utilisation);
                   }
                 });
  }

  void ReadObservations(const YAML::Node& node, const std::string& path, Position at,
                        proto::Assessment& out) {
    if (node.IsNull()) return;  // "observations:" with every entry commented out
    if (!node.IsMap()) {
      Add(at, path, Expected("a map from indicator id to value", Show(node)));
      return;
    }
    absl::flat_hash_map<std::string, int> seen;  // id -> line
    for (const auto& entry : node) {
      const YAML::Node& key = entry.first;
      const YAML::Node& value = entry.second;
      const Position key_at = ToPosition(key.Mark());
      if (!key.IsScalar() || IsBlank(key.Scalar()) || !ValidUtf8(key.Scalar())) {
        Add(key_at, path, Expected("an indicator id", Show(key)));
        continue;
      }
      const std::string& id = key.Scalar();
      const std::string id_path = ObservationPath(id);
      auto [first, inserted] = seen.try_emplace(id, key_at.line);
      if (!inserted) {
        Add(key_at, id_path, absl::StrCat("given twice, first at line ", first->second));
        continue;
      }
      bool declared = true;
      if (schema_ != nullptr) {
        if (std::string problem = CheckDeclared(id, *schema_); !problem.empty()) {
          Add(key_at, id_path, std::move(problem));
          declared = false;
        }
      }
      const Position value_at = value.IsNull() ? key_at : ToPosition(value.Mark());
      proto::Observation observation;
      std::optional<Value> observed;
      Position observed_at = value_at;
      std::string observed_path = id_path;
      if (value.IsMap()) {
        ReadObservationMap(value, id_path, value_at, observation, observed, observed_at,
                           observed_path);
      } else {
        observed = ReadShorthand(value, id_path, value_at);
      }
      if (!observed) continue;
      if (schema_ != nullptr && declared) {
        std::string problem = CheckAgainstSchema(*observed, schema_->at(id));
        if (!problem.empty()) {
          Add(observed_at, observed_path, std::move(problem));
          continue;
        }
      }
      if (const double* number = std::get_if<double>(&*observed)) {
        observation.set_number(*number);
      } else if (const bool* flag = std::get_if<bool>(&*observed)) {
        observation.set_flag(*flag);
      } else {
        observation.set_choice(std::get<std::string>(*observed));
      }
      (*out.mutable_observations())[id] = std::move(observation);
    }
  }

  // A scalar: a plain number, true or false, or else a choice.
  std::optional<Value> ReadShorthand(const YAML::Node& node, const std::string& path, Position at) {
    if (!node.IsScalar()) {
      Add(at, path, Expected("a number, true, false, a choice or a map", Show(node)));
      return std::nullopt;
    }
    const std::string& text = node.Scalar();
    if (IsPlain(node)) {
      if (std::optional<double> number = ParseNumber(text)) return *number;
      if (std::optional<bool> flag = ParseBool(text)) return *flag;
    }
    return ReadChoice(node, path, at);
  }

  std::optional<Value> ReadChoice(const YAML::Node& node, const std::string& path, Position at) {
    std::optional<std::string> text = ReadText(node, path, at, kChoiceExpected);
    if (!text) return std::nullopt;
    if (IsBlank(*text)) {
      Add(at, path, Expected(kChoiceExpected, Show(node)));
      return std::nullopt;
    }
    return Value(std::move(*text));
  }

  // The long form: {value|number|flag|choice: …, confidence: …, source: …}.
  void ReadObservationMap(const YAML::Node& node, const std::string& path, Position at,
                          proto::Observation& out, std::optional<Value>& observed,
                          Position& observed_at, std::string& observed_path) {
    std::string value_field;  // spelling of the value field found first
    bool value_failed = false;
    ForEachField(node, path, kObservationFields,
                 [&](std::string_view field, const std::string& field_path, const YAML::Node& value,
                     Position value_at) {
                   if (field == "confidence") {
                     std::optional<double> confidence =
                         ReadNumber(value, field_path, value_at, kConfidenceExpected);
                     if (!confidence) return;
                     if (!ValidConfidence(*confidence)) {
                       Add(value_at, field_path, Expected(kConfidenceExpected, Show(value)));
                       return;
                     }
                     out.set_confidence(*confidence);
                     return;
                   }
                   if (field == "source") {
                     if (auto text = ReadText(value, field_path, value_at)) out.set_source(*text);
                     return;
                   }
                   if (!value_field.empty()) {
                     Add(value_at, field_path,
                         Expected("exactly one of value, number, flag or choice",
                                  absl::StrCat(value_field, " and ", AbslView(field))));
                     return;
                   }
                   value_field = std::string(field);
                   observed_at = value_at;
                   observed_path = field_path;
                   if (field == "value") {
                     observed = ReadShorthand(value, field_path, value_at);
                   } else if (field == "number") {
                     if (auto number = ReadNumber(value, field_path, value_at, "a number")) {
                       observed = *number;
                     }
                   } else if (field == "flag") {
                     if (auto flag = ReadBool(value, field_path, value_at)) observed = *flag;
                   } else if (field == "choice") {
                     observed = ReadChoice(value, field_path, value_at);
                   }
                   value_failed = !observed.has_value();
                 });
    if (value_field.empty()) {
      Add(at, path, Expected("one of value, number, flag or choice", "none"));
    } else if (value_failed) {
      observed.reset();
    }
  }

  std::string origin_;
  const ObservationSchema* schema_;
  Problems problems_;
};

// ---------------------------------------------------------------------------------------------
// Files.

absl::StatusOr<std::string> ReadWholeFile(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  if (status.type() == std::filesystem::file_type::not_found) {
    return absl::NotFoundError(absl::StrCat(name, ": no such file"));
  }
  if (error) {
    return absl::Status(absl::ErrnoToStatusCode(error.value()),
                        absl::StrCat(name, ": ", error.message()));
  }
  if (status.type() != std::filesystem::file_type::regular) {
    return absl::FailedPreconditionError(absl::StrCat(name, ": not a regular file"));
  }
  const std::string extension = absl::AsciiStrToLower(path.extension().string());
  if (extension != ".yaml" && extension != ".yml" && extension != ".json") {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": ",
                     Expected("a .yaml, .yml or .json file",
                              extension.empty() ? "no extension" : Quote(extension))));
  }
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (!error && size > kMaxFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": ", size, " bytes is over the limit of ", kMaxFileBytes, " bytes"));
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int code = errno != 0 ? errno : EIO;
    return absl::Status(absl::ErrnoToStatusCode(code),
                        absl::StrCat(name, ": ", std::generic_category().message(code)));
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(name, ": read failed"));
  return std::move(contents).str();
}

}  // namespace

absl::StatusOr<proto::Assessment> ParseAssessment(std::string_view text, std::string_view origin,
                                                  const ObservationSchema* schema) {
  try {
    return Reader(origin, schema).Read(text);
  } catch (const std::exception& error) {
    // yaml-cpp exceptions are handled inside; this is only for the unforeseen (bad_alloc …).
    return absl::InternalError(absl::StrCat(AbslView(origin), ": ", error.what()));
  }
}

absl::StatusOr<proto::Assessment> ReadAssessmentFile(const std::filesystem::path& path,
                                                     const ObservationSchema* schema) {
  absl::StatusOr<std::string> text;
  try {
    text = ReadWholeFile(path);
  } catch (const std::exception& error) {
    return absl::InternalError(absl::StrCat(path.string(), ": ", error.what()));
  }
  if (!text.ok()) return text.status();
  return ParseAssessment(*text, path.string(), schema);
}

namespace {

// A field path given as text, or as a function that spells it out when a problem needs it.
template <typename Path>
std::string PathOf(Path&& path) {
  if constexpr (std::is_invocable_v<Path>) {
    return path();
  } else {
    return std::string(path);
  }
}

absl::Status Validate(const proto::Assessment& assessment, const ObservationSchema& schema,
                      const ObservationIndex& index, std::vector<ResolvedObservation>* resolved) {
  if (resolved != nullptr) {
    resolved->clear();
    resolved->reserve(assessment.observations_size());
  }
  Problems problems;
  const Position nowhere;
  // Field paths are spelled out only for a problem: most assessments have none.
  auto check_text = [&](std::string_view text, auto&& path) {
    if (!ValidUtf8(text)) {
      problems.Add(nowhere, PathOf(path), Expected(kTextExpected, Quote(text)));
    }
  };
  auto check_level = [&](proto::Level level, auto&& path) {
    if (level < proto::LEVEL_UNSPECIFIED || level > proto::LEVEL_HIGH) {
      problems.Add(nowhere, PathOf(path),
                   Expected(absl::StrCat("one of ", AbslView(kLevelNames)),
                            absl::StrCat(static_cast<int>(level))));
    }
  };

  check_text(assessment.organisation(), "organisation");
  check_text(assessment.description(), "description");
  if (!assessment.date().empty() && !IsIsoDate(assessment.date())) {
    problems.Add(nowhere, "date", Expected(kDateExpected, Quote(assessment.date())));
  }

  absl::flat_hash_map<std::string_view, int> names;  // name -> index of its first area
  names.reserve(assessment.service_areas_size());
  for (int i = 0; i < assessment.service_areas_size(); ++i) {
    const proto::ServiceArea& area = assessment.service_areas(i);
    auto path = [i] { return absl::StrCat("service_areas[", i, "]"); };
    if (IsBlank(area.name())) {
      problems.Add(nowhere, path() + ".name", Expected(kNameExpected, Quote(area.name())));
    } else if (!ValidUtf8(area.name())) {
      check_text(area.name(), [&] { return path() + ".name"; });
    } else if (auto [first, inserted] = names.try_emplace(area.name(), i); !inserted) {
      problems.Add(nowhere, path() + ".name",
                   Expected("a unique name", absl::StrCat(Quote(area.name()),
                                                          " again (first at service_areas[",
                                                          first->second, "])")));
    }
    if (area.has_weight() && !ValidWeight(area.weight())) {
      problems.Add(nowhere, path() + ".weight",
                   Expected(kWeightExpected, FormatNumber(area.weight())));
    }
    check_level(area.demand(), [&] { return path() + ".demand"; });
    check_level(area.capability().level(), [&] { return path() + ".capability.level"; });
    if (area.capability().has_utilisation() && !ValidUtilisation(area.capability().utilisation())) {
      problems.Add(nowhere, path() + ".capability.utilisation",
                   Expected(kUtilisationExpected, FormatNumber(area.capability().utilisation())));
    }
    check_text(area.note(), [&] { return path() + ".note"; });
  }

  // Map order is unspecified: problems are sorted by indicator id afterwards, so that the
  // message is stable (and a clean assessment pays for no sorting).
  struct ObservationProblem {
    const std::string* id;
    std::string path, message;
  };
  std::vector<ObservationProblem> found;
  for (const auto& [key, observation] : assessment.observations()) {
    const std::string* id = &key;
    auto path = [id] { return ObservationPath(*id); };
    auto add = [&](std::string at, std::string message) {
      found.push_back({id, std::move(at), std::move(message)});
    };
    // A declared id is a well-formed one: the checks of the id itself wait for a miss.
    if (const int node = index.NodeIfFits(*id, observation);
        node >= 0) {
      if (resolved != nullptr) resolved->push_back({node, &observation});
    } else if (auto declared = schema.find(*id); declared == schema.end()) {
      if (IsBlank(*id) || !ValidUtf8(*id)) {
        add(path(), Expected("an indicator id", Quote(*id)));
        continue;
      }
      add(path(), CheckDeclared(*id, schema));
    } else {
      if (resolved != nullptr) resolved->push_back({declared->second.node, &observation});
      // The usual case, a value of the declared type within bounds, is settled by FitsSchema.
      if (!FitsSchema(observation, declared->second)) {
        std::string problem = ValueProblem(observation, declared->second);
        if (!problem.empty()) add(path(), std::move(problem));
      }
    }
    // 0 is the proto default and means "not given".
    if (observation.confidence() != 0 && !ValidConfidence(observation.confidence())) {
      add(path() + ".confidence",
          Expected(kConfidenceExpected, FormatNumber(observation.confidence())));
    }
    if (!ValidUtf8(observation.source())) {
      add(path() + ".source", Expected(kTextExpected, Quote(observation.source())));
    }
  }
  std::stable_sort(found.begin(), found.end(), [](const ObservationProblem& a,
                                                  const ObservationProblem& b) {
    return *a.id < *b.id;
  });
  for (ObservationProblem& problem : found) {
    problems.Add(nowhere, std::move(problem.path), std::move(problem.message));
  }
  if (problems.empty()) return absl::OkStatus();
  return problems.ToStatus("");
}

}  // namespace

absl::Status ValidateAssessment(const proto::Assessment& assessment,
                                const ObservationSchema& schema) {
  static const ObservationIndex* const kNoIndex = new ObservationIndex();  // settles nothing
  return Validate(assessment, schema, *kNoIndex, nullptr);
}

absl::Status ValidateAssessment(const proto::Assessment& assessment,
                                const ObservationSchema& schema, const ObservationIndex& index,
                                std::vector<ResolvedObservation>* resolved) {
  return Validate(assessment, schema, index, resolved);
}

}  // namespace align::inference
