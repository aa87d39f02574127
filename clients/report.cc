#include "clients/report.h"

#include <cmath>

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "inference/portfolio/portfolio.h"
#include "inference/util/format.h"

namespace align::clients {
namespace {

using inference::FormatNumber;

std::string Percent(double value) { return absl::StrFormat("%.1f%%", value); }

std::string RegionLabel(proto::Region region) {
  std::string name(inference::RegionName(region));
  for (char& c : name) {
    if (c == '_') c = ' ';
  }
  return name;
}

// Indents every line of `text` after the first by `indent`.
std::string IndentLines(const std::string& text, const std::string& indent) {
  return absl::StrJoin(absl::StrSplit(text, '\n'), absl::StrCat("\n", indent));
}

void AppendConclusions(std::string& out, const std::string& heading,
                       const google::protobuf::RepeatedPtrField<proto::Conclusion>& list) {
  absl::StrAppend(&out, "\n", heading, "\n");
  if (list.empty()) {
    absl::StrAppend(&out, "  none concluded\n");
    return;
  }
  for (const proto::Conclusion& c : list) {
    absl::StrAppendFormat(&out, "  %.2f  %s (%s)", c.certainty(), c.title(), c.id());
    if (!c.category().empty()) absl::StrAppend(&out, " [", c.category(), "]");
    absl::StrAppend(&out, "\n");
    if (!c.description().empty()) absl::StrAppend(&out, "        ", c.description(), "\n");
    if (!c.source().empty()) absl::StrAppend(&out, "        Source: ", c.source(), "\n");
    for (const proto::RuleTrace& rule : c.explanation().rules()) {
      std::vector<std::string> facts;
      for (const auto& condition : rule.conditions()) {
        facts.push_back(absl::StrCat(condition.subject(), " = ", condition.actual()));
      }
      absl::StrAppendFormat(&out, "        <- %s (cf %s x premise %.2f = %.2f): %s\n",
                            rule.rule_id(), FormatNumber(rule.rule_cf()), rule.premise(),
                            rule.contribution(), absl::StrJoin(facts, "; "));
    }
  }
}

}  // namespace

std::string RenderDiagnosisText(const proto::Diagnosis& d) {
  std::string out = absl::StrCat("Alignment diagnosis: ",
                                 d.organisation().empty() ? "(unnamed organisation)"
                                                          : d.organisation());
  if (!d.date().empty()) absl::StrAppend(&out, ", ", d.date());
  absl::StrAppend(&out, "\nRule base ", d.rule_base().id(), " ", d.rule_base().version(),
                  " (sha256 ", d.rule_base().digest().substr(0, 12), ")\n");

  const proto::PortfolioSummary& p = d.portfolio();
  absl::StrAppend(&out, "\nPortfolio\n");
  if (p.areas().empty()) {
    absl::StrAppend(&out, "  no service areas given\n");
  } else {
    absl::StrAppendFormat(&out, "  alignment index %.1f, intent coverage %s, total weight %s\n",
                          p.alignment_index(), Percent(p.intent_coverage()),
                          FormatNumber(p.total_weight()));
    for (const proto::AreaPlacement& area : p.areas()) {
      absl::StrAppendFormat(&out, "  %-32s %-20s weight %s\n", area.name(),
                            RegionLabel(area.region()), FormatNumber(area.weight()));
    }
    std::vector<std::string> shares;
    for (const proto::RegionShare& share : p.shares()) {
      if (share.weight() > 0) {
        shares.push_back(absl::StrCat(RegionLabel(share.region()), " ", Percent(share.share())));
      }
    }
    absl::StrAppend(&out, "  shares: ", absl::StrJoin(shares, ", "), "\n");
  }

  AppendConclusions(out, "Patterns", d.patterns());
  AppendConclusions(out, "Causes", d.causes());
  AppendConclusions(out, "Actions", d.actions());
  if (!d.findings().empty()) AppendConclusions(out, "Findings", d.findings());

  if (!d.would_fire().empty()) {
    absl::StrAppend(&out, "\nWould fire if known\n");
    for (const proto::PendingRule& rule : d.would_fire()) {
      absl::StrAppend(&out, "  - ", rule.text(), "\n");
    }
    if (d.would_fire_truncated()) {
      absl::StrAppend(&out, "  (the first ", d.would_fire_size(),
                      ": those the assessment answers in part, then the rest, each nearest to "
                      "firing first; more rules wait for unknowns: --would-fire N lists up to "
                      "N, --would-fire all every one)\n");
    }
  }
  if (!d.open_questions().empty()) {
    absl::StrAppend(&out, "\nQuestions worth asking next\n");
    int n = 0;
    for (const proto::OpenQuestion& q : d.open_questions()) {
      absl::StrAppendFormat(&out, "  %d. %s (%s, impact %.2f)\n     %s\n", ++n, q.question(),
                            q.indicator(), q.impact(), q.why());
    }
  }
  for (const proto::Explanation& e : d.why_not()) {
    absl::StrAppend(&out, "\nWhy not ", e.node_id(), "\n  ", IndentLines(e.text(), "  "), "\n");
  }
  return out;
}

std::string RenderRuleBaseText(const proto::RuleBaseInfo& info) {
  const proto::RuleBaseCounts& n = info.counts();
  std::string out = absl::StrCat("Rule base ", info.id(), " ", info.version(), " (sha256 ",
                                 info.digest(), ")\n");
  if (!info.title().empty()) absl::StrAppend(&out, info.title(), "\n");
  if (!info.loaded_at().empty()) absl::StrAppend(&out, "Loaded at ", info.loaded_at(), "\n");
  absl::StrAppend(&out, n.indicators(), " indicators, ", n.findings(), " findings, ",
                  n.patterns(), " patterns, ", n.causes(), " causes, ", n.actions(),
                  " actions, ", n.rules(), " rules\n\nIndicators\n");
  for (const proto::IndicatorInfo& indicator : info.indicators()) {
    std::string type;
    switch (indicator.type()) {
      case proto::VALUE_TYPE_BOOL: type = "yes/no"; break;
      case proto::VALUE_TYPE_CHOICE:
        type = absl::StrCat("one of ", absl::StrJoin(indicator.choices(), ", "));
        break;
      default:
        type = "number";
        if (indicator.has_min() && indicator.has_max()) {
          absl::StrAppend(&type, " ", FormatNumber(indicator.min()), "..",
                          FormatNumber(indicator.max()));
        }
        if (!indicator.unit().empty()) absl::StrAppend(&type, " ", indicator.unit());
    }
    absl::StrAppendFormat(&out, "  %-34s %s%s: %s\n", indicator.id(), indicator.title(),
                          indicator.builtin() ? " (built in)" : "", type);
    if (!indicator.question().empty()) {
      absl::StrAppend(&out, "  ", std::string(34, ' '), " asks: ", indicator.question(), "\n");
    }
  }
  const std::pair<proto::NodeKind, const char*> kinds[] = {
      {proto::NODE_KIND_FINDING, "Findings"},
      {proto::NODE_KIND_PATTERN, "Patterns"},
      {proto::NODE_KIND_CAUSE, "Causes"},
      {proto::NODE_KIND_ACTION, "Actions"}};
  for (const auto& [kind, heading] : kinds) {
    absl::StrAppend(&out, "\n", heading, "\n");
    for (const proto::NodeInfo& node : info.nodes()) {
      if (node.kind() != kind) continue;
      absl::StrAppendFormat(&out, "  %-34s %s", node.id(), node.title());
      if (!node.category().empty()) absl::StrAppend(&out, " [", node.category(), "]");
      absl::StrAppend(&out, "\n");
    }
  }
  absl::StrAppend(&out, "\nRules\n");
  for (const proto::RuleInfo& rule : info.rules()) {
    absl::StrAppendFormat(&out, "  %s: when %s then %s cf %s\n", rule.id(), rule.condition(),
                          rule.conclusion(), FormatNumber(rule.cf()));
  }
  return out;
}


std::string RenderJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) return absl::StrCat("{\"error\": \"", status.ToString(), "\"}\n");
  if (json.empty() || json.back() != '\n') json.push_back('\n');
  return json;
}

}  // namespace align::clients
