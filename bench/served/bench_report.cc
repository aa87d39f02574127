#include "bench/served/bench_report.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace align::bench {
namespace {

constexpr double kBytesPerMb = 1024.0 * 1024.0;

// The project's targets for the served Diagnose, checked at this level.
constexpr int kTargetConcurrency = 16;
constexpr double kTargetQpsRatio = 0.70;
constexpr double kTargetP99Us = 2000;
constexpr double kTargetRssMb = 64;
// Reloads count as flat when the last reading is within this of the first one after reloads.
constexpr double kFlatSlackMb = 1.0;

struct Row {
  int concurrency = 0;
  WorkloadKind kind = kHealth;
  Spread qps, p50_us, p99_us, p999_us;
  std::optional<Spread> qps_vs_health;  // per round against Health in the same round
  // CPU per finished call and cores kept busy, for each side; the server's only when known.
  std::optional<Spread> server_us_per_call, server_cores;
  Spread client_us_per_call, client_cores;
  // Cores kept busy by everything else on the machine; known when alignd's CPU is.
  std::optional<Spread> other_cores;
  int64_t errors = 0;
  grpc::Status first_error;
};

std::vector<Row> Rows(const BenchReport& report) {
  std::vector<Row> rows;
  for (const LevelResults& level : report.levels) {
    for (int k = 0; k < kWorkloadCount; ++k) {
      const auto kind = static_cast<WorkloadKind>(k);
      const std::vector<Measurement>& rounds = level.rounds[k];
      if (rounds.empty()) continue;
      Row row;
      row.concurrency = level.concurrency;
      row.kind = kind;
      std::vector<double> qps, p50, p99, p999, ratio, server_us, server_cores, client_us,
          client_cores, other_cores;
      for (size_t r = 0; r < rounds.size(); ++r) {
        const Measurement& measured = rounds[r];
        const LoadResult& result = measured.load;
        const double calls = static_cast<double>(std::max<int64_t>(result.finished, 1));
        const double elapsed = std::max(measured.elapsed_seconds, 1e-9);
        if (measured.server_cpu_seconds.has_value()) {
          server_us.push_back(*measured.server_cpu_seconds * 1e6 / calls);
          server_cores.push_back(*measured.server_cpu_seconds / elapsed);
        }
        if (measured.server_cpu_seconds.has_value() && measured.machine_busy_seconds.has_value()) {
          other_cores.push_back(std::max(0.0, *measured.machine_busy_seconds -
                                                  *measured.server_cpu_seconds -
                                                  measured.client_cpu_seconds) /
                                elapsed);
        }
        client_us.push_back(measured.client_cpu_seconds * 1e6 / calls);
        client_cores.push_back(measured.client_cpu_seconds / elapsed);
        qps.push_back(result.qps);
        p50.push_back(result.p50_us);
        p99.push_back(result.p99_us);
        p999.push_back(result.p999_us);
        if (row.errors == 0 && result.errors > 0) row.first_error = result.first_error;
        row.errors += result.errors;
        if (kind != kHealth && r < level.rounds[kHealth].size() &&
            level.rounds[kHealth][r].load.qps > 0) {
          ratio.push_back(result.qps / level.rounds[kHealth][r].load.qps);
        }
      }
      row.qps = SpreadOf(qps);
      row.p50_us = SpreadOf(p50);
      row.p99_us = SpreadOf(p99);
      row.p999_us = SpreadOf(p999);
      if (!ratio.empty()) row.qps_vs_health = SpreadOf(ratio);
      if (!server_us.empty()) {
        row.server_us_per_call = SpreadOf(server_us);
        row.server_cores = SpreadOf(server_cores);
      }
      if (!other_cores.empty()) row.other_cores = SpreadOf(other_cores);
      row.client_us_per_call = SpreadOf(client_us);
      row.client_cores = SpreadOf(client_cores);
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

// "18234 [18011–18400]"; the median alone after one round.
std::string Cell(const Spread& spread, int decimals, int rounds) {
  if (rounds <= 1) return absl::StrFormat("%.*f", decimals, spread.median);
  return absl::StrFormat("%.*f [%.*f–%.*f]", decimals, spread.median, decimals, spread.min,
                         decimals, spread.max);
}

std::string RatioCell(const Row& row, int rounds) {
  return row.qps_vs_health.has_value() ? Cell(*row.qps_vs_health, 2, rounds) : "—";
}

// Characters, not bytes, in UTF-8 `text`: "µs" is two.
size_t CharacterCount(absl::string_view text) {
  size_t characters = 0;
  for (char c : text) characters += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return characters;
}

// `text` padded with spaces to `width` characters.
std::string Pad(absl::string_view text, size_t width, bool right_align = false) {
  const size_t characters = CharacterCount(text);
  const std::string padding(width > characters ? width - characters : 0, ' ');
  return right_align ? absl::StrCat(padding, text) : absl::StrCat(text, padding);
}

// Aligned columns, two spaces apart, each as wide as its widest cell; the first column is
// right-aligned (it holds numbers), the rest left-aligned. An empty row is a blank line.
std::string Columns(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], CharacterCount(row[i]));
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      const bool last = i + 1 == row.size();
      absl::StrAppend(&line,
                      i == 0 ? Pad(row[i], widths[i], /*right_align=*/true)
                      : last ? row[i]
                             : Pad(row[i], widths[i]),
                      last ? "" : "  ");
    }
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

// The CPU table's cells for a row: alignd µs/call, alignd cores, load_bench µs/call, cores,
// other processes' cores.
std::vector<std::string> CpuCells(const Row& row) {
  auto median = [](const std::optional<Spread>& spread, int decimals) {
    return spread.has_value() ? absl::StrFormat("%.*f", decimals, spread->median)
                              : std::string("—");
  };
  return {median(row.server_us_per_call, 0), median(row.server_cores, 2),
          median(row.client_us_per_call, 0), median(row.client_cores, 2),
          median(row.other_cores, 2)};
}

constexpr absl::string_view kCpuNote =
    "CPU per call: user + system time of each process over a whole run (warm-up, window and "
    "drain) divided by the calls that finished in it, and the cores each kept busy on average; "
    "'others' is every other process on the machine. Medians over rounds. alignd's (and so "
    "the others') is known only when load_bench started alignd.";

// Other processes busier than this (in cores) during a measurement make its QPS and latency
// the machine's, not alignd's alone.
constexpr double kNoisyOtherCores = 0.10;

// A warning when other processes competed for the cores; empty when they did not.
std::string NoiseWarning(const std::vector<Row>& rows) {
  double busiest = 0;
  for (const Row& row : rows) {
    if (row.other_cores.has_value()) busiest = std::max(busiest, row.other_cores->max);
  }
  if (busiest <= kNoisyOtherCores) return "";
  return absl::StrFormat(
      "Warning: other processes kept up to %.2f cores busy during the measurements; QPS and "
      "latency above are lower and noisier than on an idle machine; CPU per call is less "
      "affected.",
      busiest);
}

std::string Mb(int64_t bytes) { return absl::StrFormat("%.1f", bytes / kBytesPerMb); }

std::string Plural(int64_t n, absl::string_view one, absl::string_view many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

std::vector<std::string> SetupLines(const BenchReport& report) {
  std::vector<std::string> lines;
  lines.push_back(absl::StrCat(
      "Run: ", report.started_at, "; machine: ", Plural(report.cores, "core", "cores"),
      ", load average ", report.load_average, " at the start; gRPC ", report.grpc_version));
  lines.push_back(absl::StrCat("Server: ", report.server));
  lines.push_back(absl::StrCat("Pinning: ", report.pinning));
  lines.push_back(absl::StrCat(
      "Load: closed loop on the async client (one completion queue thread), ",
      Plural(report.channels, "channel", "channels"), "; per level and round the workloads run in ",
      "turn, each ", absl::FormatDuration(report.duration), " measured after ",
      absl::FormatDuration(report.warmup), " warm-up; ", Plural(report.rounds, "round", "rounds"),
      report.rounds > 1 ? ", shown as median [min–max]" : ""));
  lines.push_back(absl::StrCat("Diagnose: ", report.assessment, " (request ", report.request_bytes,
                               " bytes), answer ", report.response_bytes,
                               " bytes with explanations, ", report.lean_response_bytes,
                               " bytes with omit_explanations"));
  return lines;
}

std::vector<std::string> ErrorLines(const std::vector<Row>& rows) {
  std::vector<std::string> lines;
  for (const Row& row : rows) {
    if (row.errors == 0) continue;
    lines.push_back(absl::StrCat(WorkloadLabel(row.kind), " at ", row.concurrency,
                                 " in flight: ", Plural(row.errors, "error", "errors"),
                                 "; the first: ", GrpcCodeName(row.first_error.error_code()), ": ",
                                 row.first_error.error_message()));
  }
  return lines;
}

// The targets at 16 in flight, each said met or not; empty when that level was not measured.
std::string TargetLine(const std::vector<Row>& rows, int64_t total_errors) {
  for (const Row& row : rows) {
    if (row.concurrency != kTargetConcurrency || row.kind != kDiagnose) continue;
    const double ratio = row.qps_vs_health.has_value() ? row.qps_vs_health->median : 0;
    auto verdict = [](bool met) { return met ? "met" : "NOT met"; };
    return absl::StrFormat(
        "Targets at %d in flight: Diagnose QPS >= %.0f%% of Health: %.0f%% (%s); Diagnose p99 "
        "< %.0f ms: %.2f ms (%s); no errors: %d (%s)",
        kTargetConcurrency, kTargetQpsRatio * 100, ratio * 100, verdict(ratio >= kTargetQpsRatio),
        kTargetP99Us / 1000, row.p99_us.median / 1000, verdict(row.p99_us.median < kTargetP99Us),
        total_errors, verdict(total_errors == 0));
  }
  return "";
}

std::vector<std::pair<std::string, int64_t>> MemoryReadings(const MemoryReport& memory) {
  std::vector<std::pair<std::string, int64_t>> readings = {
      {"after start", memory.after_start_bytes}, {"after the load", memory.after_load_bytes}};
  for (const auto& [reloads, bytes] : memory.after_reloads) {
    readings.emplace_back(absl::StrCat("after ", Plural(reloads, "reload", "reloads")), bytes);
  }
  return readings;
}

std::string MemoryVerdict(const MemoryReport& memory) {
  int64_t peak = std::max(memory.after_start_bytes, memory.after_load_bytes);
  for (const auto& reading : memory.after_reloads) peak = std::max(peak, reading.second);
  std::string line =
      absl::StrFormat("Memory target: < %.0f MB: peak reading %s MB (%s)", kTargetRssMb, Mb(peak),
                      peak / kBytesPerMb < kTargetRssMb ? "met" : "NOT met");
  if (memory.after_reloads.size() >= 2) {
    const auto& first = memory.after_reloads.front();
    const auto& last = memory.after_reloads.back();
    const double growth = (last.second - first.second) / kBytesPerMb;
    absl::StrAppendFormat(&line,
                          "; flat across reloads (within %.0f MB from reload %d to %d): "
                          "%+.1f MB (%s)",
                          kFlatSlackMb, first.first, last.first, growth,
                          growth <= kFlatSlackMb ? "met" : "NOT met");
  }
  if (!memory.after_reloads.empty()) {
    absl::StrAppendFormat(&line, "; median reload %.1f ms", memory.reload_ms_median);
  }
  return line;
}

}  // namespace

const char* WorkloadLabel(WorkloadKind kind) {
  switch (kind) {
    case kHealth: return "Health/Check";
    case kDiagnose: return "Diagnose";
    case kDiagnoseLean: return "Diagnose (omit_explanations)";
    default: return "?";
  }
}

Spread SpreadOf(std::vector<double> values) {
  Spread spread;
  if (values.empty()) return spread;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  spread.median = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  spread.min = values.front();
  spread.max = values.back();
  return spread;
}

int64_t TotalErrors(const BenchReport& report) {
  int64_t errors = 0;
  for (const LevelResults& level : report.levels) {
    for (const auto& rounds : level.rounds) {
      for (const Measurement& measured : rounds) errors += measured.load.errors;
    }
  }
  return errors;
}

std::string GrpcCodeName(grpc::StatusCode code) {
  // gRPC's codes are Abseil's, number for number.
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

std::string FormatText(const BenchReport& report) {
  const std::vector<Row> rows = Rows(report);
  std::string out = absl::StrCat(absl::StrJoin(SetupLines(report), "\n"), "\n\n");
  std::vector<std::vector<std::string>> load = {
      {"in flight", "call", "QPS", "p50 µs", "p99 µs", "p99.9 µs", "errors", "QPS vs Health"}};
  std::vector<std::vector<std::string>> cpu = {{"in flight", "call", "alignd µs/call",
                                                "alignd cores", "load_bench µs/call",
                                                "load_bench cores", "others' cores"}};
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows[i];
    if (i > 0 && row.concurrency != rows[i - 1].concurrency) load.emplace_back();
    load.push_back({absl::StrCat(row.concurrency), WorkloadLabel(row.kind),
                    Cell(row.qps, 0, report.rounds), Cell(row.p50_us, 0, report.rounds),
                    Cell(row.p99_us, 0, report.rounds), Cell(row.p999_us, 0, report.rounds),
                    absl::StrCat(row.errors), RatioCell(row, report.rounds)});
    std::vector<std::string> cpu_row = {absl::StrCat(row.concurrency), WorkloadLabel(row.kind)};
    for (std::string& cell : CpuCells(row)) cpu_row.push_back(std::move(cell));
    cpu.push_back(std::move(cpu_row));
  }
  out += Columns(load);
  const std::vector<std::string> errors = ErrorLines(rows);
  if (!errors.empty()) out += "\n";
  for (const std::string& line : errors) absl::StrAppend(&out, line, "\n");
  absl::StrAppend(&out, "\n", kCpuNote, "\n", Columns(cpu));
  if (std::string warning = NoiseWarning(rows); !warning.empty()) {
    absl::StrAppend(&out, "\n", warning, "\n");
  }
  if (std::string targets = TargetLine(rows, TotalErrors(report)); !targets.empty()) {
    absl::StrAppend(&out, "\n", targets, "\n");
  }
  if (report.memory.has_value()) {
    out += "\nalignd VmRSS (MB):";
    for (const auto& [when, bytes] : MemoryReadings(*report.memory)) {
      absl::StrAppend(&out, "\n  ", when, ": ", Mb(bytes));
    }
    absl::StrAppend(&out, "\n", MemoryVerdict(*report.memory), "\n");
  }
  return out;
}

std::string FormatMarkdown(const BenchReport& report) {
  const std::vector<Row> rows = Rows(report);
  std::string out = "## Served: alignd under load\n\n";
  for (const std::string& line : SetupLines(report)) absl::StrAppend(&out, "- ", line, "\n");
  out +=
      "\n| In flight | Call | QPS | p50 (µs) | p99 (µs) | p99.9 (µs) | Errors | QPS vs Health |\n"
      "|---:|---|---:|---:|---:|---:|---:|---:|\n";
  for (const Row& row : rows) {
    absl::StrAppend(&out, "| ", row.concurrency, " | ", WorkloadLabel(row.kind), " | ",
                    Cell(row.qps, 0, report.rounds), " | ", Cell(row.p50_us, 0, report.rounds),
                    " | ", Cell(row.p99_us, 0, report.rounds), " | ",
                    Cell(row.p999_us, 0, report.rounds), " | ", row.errors, " | ",
                    RatioCell(row, report.rounds), " |\n");
  }
  const std::vector<std::string> errors = ErrorLines(rows);
  if (!errors.empty()) out += "\n";
  for (const std::string& line : errors) absl::StrAppend(&out, "- ", line, "\n");
  absl::StrAppend(&out, "\n", kCpuNote,
                  "\n\n| In flight | Call | alignd CPU (µs/call) | alignd cores busy | "
                  "load_bench CPU (µs/call) | load_bench cores busy | Others' cores busy |\n"
                  "|---:|---|---:|---:|---:|---:|---:|\n");
  for (const Row& row : rows) {
    const std::vector<std::string> cpu = CpuCells(row);
    absl::StrAppend(&out, "| ", row.concurrency, " | ", WorkloadLabel(row.kind), " | ",
                    absl::StrJoin(cpu, " | "), " |\n");
  }
  if (std::string warning = NoiseWarning(rows); !warning.empty()) {
    absl::StrAppend(&out, "\n", warning, "\n");
  }
  if (std::string targets = TargetLine(rows, TotalErrors(report)); !targets.empty()) {
    absl::StrAppend(&out, "\n", targets, ".\n");
  }
  if (report.memory.has_value()) {
    out +=
        "\nalignd's resident memory (VmRSS; MB = 2^20 bytes):\n\n"
        "| When | RSS (MB) |\n|---|---:|\n";
    for (const auto& [when, bytes] : MemoryReadings(*report.memory)) {
      absl::StrAppend(&out, "| ", when, " | ", Mb(bytes), " |\n");
    }
    absl::StrAppend(&out, "\n", MemoryVerdict(*report.memory), ".\n");
  }
  return out;
}

}  // namespace align::bench
