#include "bench/compare/clips_peer.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

// The CLIPS headers are C without their own `extern "C"`, and define macros (TRUE, GetValue,
// LOCALE …) that would leak into anything included after them: last, and only here.
extern "C" {
#include "clips.h"
}

namespace align::bench {
namespace {

constexpr char kFindingPrefix[] = "finding.";
constexpr int kMaxValue = 100;

}  // namespace

absl::string_view ClipsAssertName(ClipsAssert how) {
  switch (how) {
    case ClipsAssert::kString: return "EnvAssertString";
    case ClipsAssert::kFactApi: return "EnvCreateFact/EnvPutFactSlot/EnvAssert";
  }
  return "?";
}

int ClipsPeer::IsErrorOutput(void*, const char* logical_name) {
  return std::strcmp(logical_name, WERROR) == 0 || std::strcmp(logical_name, WWARNING) == 0;
}

int ClipsPeer::KeepError(void* env, const char*, const char* text) {
  static_cast<ClipsPeer*>(GetEnvironmentRouterContext(env))->errors_.append(text);
  return 1;
}

ClipsPeer::ClipsPeer(ClipsLayout layout, ClipsAssert how) : layout_(layout), how_(how) {}

ClipsPeer::~ClipsPeer() {
  if (env_ != nullptr) DestroyEnvironment(env_);
}

absl::StatusOr<std::unique_ptr<ClipsPeer>> ClipsPeer::Create(
    absl::Span<const std::string> constructs, ClipsLayout layout, int indicators, ClipsAssert how) {
  std::unique_ptr<ClipsPeer> peer(new ClipsPeer(layout, how));
  peer->env_ = CreateEnvironment();
  if (peer->env_ == nullptr) return absl::InternalError("CLIPS could not create an environment");
  EnvAddRouterWithContext(peer->env_, "compare-errors", 40, &ClipsPeer::IsErrorOutput,
                          &ClipsPeer::KeepError, nullptr, nullptr, nullptr, peer.get());
  for (const std::string& construct : constructs) {
    if (!EnvBuild(peer->env_, construct.c_str())) {
      return absl::InvalidArgumentError(
          absl::StrCat("CLIPS refused ", construct, ": ", peer->errors_));
    }
  }
  if (absl::Status s = peer->CacheLookups(indicators); !s.ok()) return s;
  return peer;
}

absl::Status ClipsPeer::CacheLookups(int indicators) {
  // Symbols and integers live while counted; counting them here keeps them across resets.
  for (int v = 0; v <= kMaxValue; ++v) {
    void* value = EnvAddLong(env_, v);
    IncrementIntegerCount(value);
    values_.push_back(value);
  }
  switch (layout_) {
    case ClipsLayout::kSlotPerObservation:
      obs_template_ = EnvFindDeftemplate(env_, "obs");
      finding_template_ = EnvFindDeftemplate(env_, "finding");
      if (obs_template_ == nullptr || finding_template_ == nullptr) {
        return absl::InvalidArgumentError("the constructs declare no obs or finding deftemplate");
      }
      for (int i = 0; i < indicators; ++i) {
        void* name = EnvAddSymbol(env_, IndicatorId(i).c_str());
        IncrementSymbolCount(name);
        indicator_names_.push_back(name);
      }
      break;
    case ClipsLayout::kTemplatePerIndicator:
      for (int i = 0; i < indicators; ++i) {
        void* deftemplate = EnvFindDeftemplate(env_, IndicatorId(i).c_str());
        if (deftemplate == nullptr) {
          return absl::InvalidArgumentError(
              absl::StrCat("the constructs declare no deftemplate ", IndicatorId(i)));
        }
        indicator_templates_.push_back(deftemplate);
      }
      break;
  }
  return absl::OkStatus();
}

bool ClipsPeer::Assert(const Observed& observed) {
  if (how_ == ClipsAssert::kString) {
    return EnvAssertString(env_, ClipsFact(layout_, observed).c_str()) != nullptr;
  }
  DATA_OBJECT field;
  struct fact* fact = nullptr;
  switch (layout_) {
    case ClipsLayout::kSlotPerObservation:
      fact = EnvCreateFact(env_, obs_template_);
      SetType(field, SYMBOL);
      SetValue(field, indicator_names_[observed.indicator]);
      EnvPutFactSlot(env_, fact, "name", &field);
      break;
    case ClipsLayout::kTemplatePerIndicator:
      fact = EnvCreateFact(env_, indicator_templates_[observed.indicator]);
      break;
  }
  SetType(field, INTEGER);
  SetValue(field, values_[observed.value]);
  EnvPutFactSlot(env_, fact, "value", &field);
  return EnvAssert(env_, fact) != nullptr;
}

absl::StatusOr<int64_t> ClipsPeer::Run(const Case& c, std::vector<std::string>* findings) {
  EnvReset(env_);
  for (const Observed& observed : c) {
    if (!Assert(observed)) {
      return absl::InternalError(
          absl::StrCat("CLIPS refused the fact ", ClipsFact(layout_, observed), ": ", errors_));
    }
  }
  const int64_t fired = EnvRun(env_, -1);

  findings->clear();
  switch (layout_) {
    case ClipsLayout::kSlotPerObservation:
      for (void* fact = EnvGetNextFactInTemplate(env_, finding_template_, nullptr); fact != nullptr;
           fact = EnvGetNextFactInTemplate(env_, finding_template_, fact)) {
        DATA_OBJECT name;
        EnvGetFactSlot(env_, fact, "name", &name);
        findings->emplace_back(DOToString(name));
      }
      break;
    case ClipsLayout::kTemplatePerIndicator:
      for (void* fact = EnvGetNextFact(env_, nullptr); fact != nullptr;
           fact = EnvGetNextFact(env_, fact)) {
        const char* name =
            EnvGetDeftemplateName(env_, static_cast<struct fact*>(fact)->whichDeftemplate);
        if (std::strncmp(name, kFindingPrefix, sizeof(kFindingPrefix) - 1) == 0) {
          findings->emplace_back(name);
        }
      }
      break;
  }
  return fired;
}

}  // namespace align::bench
