#include "service/server.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <signal.h>

#include <cerrno>
#include <csignal>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "inference/rulebase/loader.h"
#include "inference/util/status_macros.h"
#include "service/advisor_service.h"
#include "service/auth.h"
#include "service/decision_log.h"
#include "service/unary_call.h"

namespace align::service {
namespace {

constexpr absl::string_view kServiceName = "alignment.v1.AlignmentAdvisor";

enum class FlagKind { kString, kInt, kBool };

struct FlagSpec {
  absl::string_view name;
  FlagKind kind;
};

constexpr FlagSpec kFlags[] = {
    {"rules", FlagKind::kString},         {"listen", FlagKind::kString},
    {"port-file", FlagKind::kString},     {"insecure", FlagKind::kBool},
    {"tls-cert", FlagKind::kString},      {"tls-key", FlagKind::kString},
    {"client-ca", FlagKind::kString},     {"admin-token-file", FlagKind::kString},
    {"max-message-bytes", FlagKind::kInt}, {"max-deadline-ms", FlagKind::kInt},
    {"decision-log", FlagKind::kString},  {"drain-seconds", FlagKind::kInt},
    {"help", FlagKind::kBool},
};

absl::Status SetFlag(ServerOptions& options, absl::string_view name, const std::string& value) {
  if (name == "rules") options.rules_path = value;
  if (name == "listen") options.listen = value;
  if (name == "port-file") options.port_file = value;
  if (name == "tls-cert") options.tls_cert = value;
  if (name == "tls-key") options.tls_key = value;
  if (name == "client-ca") options.client_ca = value;
  if (name == "admin-token-file") options.admin_token_file = value;
  if (name == "decision-log") options.decision_log = value;
  int64_t* number = name == "max-message-bytes" ? &options.max_message_bytes
                    : name == "max-deadline-ms" ? &options.max_deadline_ms
                    : name == "drain-seconds"   ? &options.drain_seconds
                                                : nullptr;
  if (number != nullptr && !absl::SimpleAtoi(value, number)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, ": expected a whole number, got '", value, "'"));
  }
  bool* flag = name == "insecure" ? &options.insecure : name == "help" ? &options.help : nullptr;
  if (flag != nullptr && !absl::SimpleAtob(value, flag)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, ": expected true or false, got '", value, "'"));
  }
  return absl::OkStatus();
}

struct HostPort {
  std::string host;  // without brackets
  std::string port;
};

// "host:port" or "[v6]:port". Nullopt when there is no port.
std::optional<HostPort> SplitHostPort(absl::string_view address) {
  if (absl::ConsumePrefix(&address, "[")) {
    size_t close = address.find("]:");
    if (close == absl::string_view::npos) return std::nullopt;
    return HostPort{std::string(address.substr(0, close)), std::string(address.substr(close + 2))};
  }
  size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return std::nullopt;
  if (address.substr(0, colon).find(':') != absl::string_view::npos) return std::nullopt;
  return HostPort{std::string(address.substr(0, colon)), std::string(address.substr(colon + 1))};
}

bool IsUnixAddress(absl::string_view listen) {
  return absl::StartsWith(listen, "unix:") || absl::StartsWith(listen, "unix-abstract:");
}

absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    return absl::Status(absl::ErrnoToStatusCode(error),
                        absl::StrCat(path, ": cannot read the ", what, ": ", std::strerror(error)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(const ServerOptions& options) {
  if (options.tls_cert.empty()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  ASSIGN_OR_RETURN(pair.cert_chain, ReadFile(options.tls_cert, "TLS certificate (--tls-cert)"));
  ASSIGN_OR_RETURN(pair.private_key, ReadFile(options.tls_key, "TLS key (--tls-key)"));
  ssl.pem_key_cert_pairs.push_back(std::move(pair));
  if (!options.client_ca.empty()) {
    ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadFile(options.client_ca, "client CA (--client-ca)"));
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

// FILE.tmp then rename, so a reader never sees half a number.
absl::Status WritePortFile(const std::string& path, int port) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << port << "\n";
    out.close();
    if (!out) {
      return absl::Status(absl::ErrnoToStatusCode(errno),
                          absl::StrCat(temporary, ": cannot write the port file"));
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    return absl::Status(absl::ErrnoToStatusCode(error.value()),
                        absl::StrCat(path, ": cannot write the port file: ", error.message()));
  }
  return absl::OkStatus();
}

std::string Describe(const proto::RuleBaseRef& ref) {
  return absl::StrCat(ref.id(), " ", ref.version(), " (sha256 ", ref.digest().substr(0, 12), ")");
}

}  // namespace

std::string Usage() {
  return R"(Usage: alignd --rules DIR [flags]

Serves alignment.v1.AlignmentAdvisor over gRPC, with health checking and reflection.

  --rules DIR               the rule base folder (required)
  --listen HOST:PORT        where to listen (default 127.0.0.1:50051; port 0 picks a free one)
  --port-file FILE          once serving, write the bound port to FILE
  --tls-cert FILE           TLS certificate chain (PEM); needs --tls-key
  --tls-key FILE            TLS private key (PEM)
  --client-ca FILE          require client certificates signed by this CA (mutual TLS)
  --insecure                allow plaintext on a non-loopback address
  --admin-token-file FILE   enables ReloadRules for 'authorization: Bearer <token>'
  --max-message-bytes N     largest request accepted (default 4194304)
  --max-deadline-ms N       longest a call may run (default 10000)
  --decision-log FILE       append one JSON line per diagnosis
  --drain-seconds N         how long SIGTERM waits for calls in flight (default 10)

Signals: SIGHUP reloads the rule base from --rules; SIGTERM and SIGINT drain and stop.
)";
}

absl::StatusOr<ServerOptions> ParseFlags(const std::vector<std::string>& args) {
  ServerOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "-h") arg = "--help";
    if (!absl::ConsumePrefix(&arg, "--") && !absl::ConsumePrefix(&arg, "-")) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", args[i], "'; flags start with --"));
    }
    absl::string_view name = arg;
    std::optional<std::string> value;
    if (size_t equals = arg.find('='); equals != absl::string_view::npos) {
      name = arg.substr(0, equals);
      value = std::string(arg.substr(equals + 1));
    }
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& candidate : kFlags) {
      if (candidate.name == name) spec = &candidate;
    }
    if (spec == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag '", args[i], "'; run alignd --help"));
    }
    if (!value.has_value()) {
      if (spec->kind == FlagKind::kBool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      }
    }
    RETURN_IF_ERROR(SetFlag(options, name, *value));
  }
  return options;
}

bool IsLoopbackAddress(absl::string_view listen) {
  if (IsUnixAddress(listen)) return true;
  std::optional<HostPort> parts = SplitHostPort(listen);
  if (!parts.has_value()) return false;
  const std::string host = absl::AsciiStrToLower(parts->host);
  if (host == "localhost") return true;
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;  // 127.0.0.0/8
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    // ::ffff:127.x.x.x
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;  // a name other than localhost may resolve to anything
}

absl::Status ValidateOptions(const ServerOptions& options) {
  if (options.rules_path.empty()) {
    return absl::InvalidArgumentError("--rules DIR is required: the folder of *.rules files");
  }
  if (!IsUnixAddress(options.listen)) {
    std::optional<HostPort> parts = SplitHostPort(options.listen);
    int port = -1;
    if (!parts.has_value() || !absl::SimpleAtoi(parts->port, &port) || port < 0 ||
        port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--listen: expected HOST:PORT with a port from 0 to 65535, got '", options.listen, "'"));
    }
  }
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together: pass both");
  }
  const bool tls = !options.tls_cert.empty();
  if (!options.client_ca.empty() && !tls) {
    return absl::InvalidArgumentError(
        "--client-ca needs TLS: pass --tls-cert and --tls-key as well");
  }
  if (options.max_message_bytes < 1 || options.max_message_bytes > INT32_MAX) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max-message-bytes: must be from 1 to ", INT32_MAX, ", got ", options.max_message_bytes));
  }
  if (options.max_deadline_ms < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max-deadline-ms: must be at least 1, got ", options.max_deadline_ms));
  }
  if (options.drain_seconds < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--drain-seconds: must be 0 or more, got ", options.drain_seconds));
  }
  if (!tls && !options.insecure && !IsLoopbackAddress(options.listen)) {
    return absl::InvalidArgumentError(
        absl::StrCat("refusing to listen on ", options.listen,
                     " without TLS; pass --tls-cert/--tls-key, or --insecure to accept plaintext"));
  }
  return absl::OkStatus();
}

struct AlignServer::Parts {
  std::unique_ptr<DecisionLog> decision_log;
  std::unique_ptr<CallRunner> runner;
  std::unique_ptr<AdvisorService> service;
};

AlignServer::AlignServer(const ServerOptions& options, LogSink log)
    : options_(options), log_(std::move(log)), parts_(std::make_unique<Parts>()) {}

absl::StatusOr<std::unique_ptr<AlignServer>> AlignServer::Start(const ServerOptions& options,
                                                                LogSink log) {
  std::unique_ptr<AlignServer> server(new AlignServer(options, std::move(log)));
  // The rule base comes first: nothing is served until it is in.
  ASSIGN_OR_RETURN(std::shared_ptr<const inference::RuleBase> rules,
                   inference::LoadRuleBase(options.rules_path));
  server->holder_ = std::make_unique<EngineHolder>(std::move(rules));

  AdvisorServiceOptions service_options;
  service_options.rules_path = options.rules_path;
  service_options.warnings = server->log_;
  if (!options.admin_token_file.empty()) {
    ASSIGN_OR_RETURN(service_options.admin, AdminAuth::FromTokenFile(options.admin_token_file));
  }
  Parts& parts = *server->parts_;
  if (!options.decision_log.empty()) {
    ASSIGN_OR_RETURN(parts.decision_log, DecisionLog::Open(options.decision_log));
    service_options.decision_log = parts.decision_log.get();
  }
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials, Credentials(options));

  parts.runner = std::make_unique<CallRunner>(
      static_cast<int>(std::max(1u, std::thread::hardware_concurrency())),
      absl::Milliseconds(options.max_deadline_ms), server->log_);
  parts.service =
      std::make_unique<AdvisorService>(*server->holder_, *parts.runner, std::move(service_options));

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, credentials, &server->port_);
  builder.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  // Without this, Linux lets a second alignd bind the same port and steal half the calls.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(parts.service.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || (server->port_ == 0 && !IsUnixAddress(options.listen))) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options.listen,
        ": the address is in use, not local to this machine, or the TLS files are not valid PEM"));
  }
  grpc::HealthCheckServiceInterface* health = server->server_->GetHealthCheckService();
  health->SetServingStatus("", true);
  health->SetServingStatus(std::string(kServiceName), true);
  return server;
}

AlignServer::~AlignServer() {
  Shutdown();
  // Workers may still run work whose call already ended (it expired); they touch the service,
  // so they stop first.
  parts_->runner.reset();
  parts_->service.reset();
}

std::string AlignServer::address() const {
  if (IsUnixAddress(options_.listen)) return options_.listen;
  std::optional<HostPort> parts = SplitHostPort(options_.listen);
  const std::string host = parts.has_value() ? parts->host : options_.listen;
  return host.find(':') != std::string::npos ? absl::StrCat("[", host, "]:", port_)
                                             : absl::StrCat(host, ":", port_);
}

absl::Status AlignServer::ReloadFromFolder() {
  absl::StatusOr<proto::ReloadRulesResponse> reloaded =
      holder_->ReloadFromFolder(options_.rules_path);
  if (!reloaded.ok()) {
    log_(absl::StrCat("alignd: reload refused: ", reloaded.status().message()));
    return reloaded.status();
  }
  log_(absl::StrCat("alignd: reloaded ", Describe(reloaded->current())));
  return absl::OkStatus();
}

void AlignServer::Shutdown() {
  if (shut_down_ || server_ == nullptr) return;
  shut_down_ = true;
  // Health first, so that load balancers stop sending calls while the rest drain.
  server_->GetHealthCheckService()->SetServingStatus(false);
  server_->Shutdown(std::chrono::system_clock::now() +
                    std::chrono::seconds(options_.drain_seconds));
  server_->Wait();
}

namespace {

// Every Diagnose allocates and frees an answer of tens of kilobytes. With glibc's defaults the
// free hands those pages back to the kernel and the next answer faults them in again, zeroed:
// about a twentieth of alignd's CPU under load. So: each malloc arena (glibc keeps one per
// thread that allocates, up to 8 per core) keeps up to 16 MiB of freed memory, and blocks
// under 8 MiB come from the arenas rather than from mmap, so that multi-megabyte answers (a
// large rule base with default options) are reused too. Setting either turns off glibc's own
// adjustment of the mmap threshold.
void KeepFreedMemory() {
  mallopt(M_MMAP_THRESHOLD, 8 << 20);
  mallopt(M_TRIM_THRESHOLD, 16 << 20);
}

}  // namespace

int RunServer(const ServerOptions& options) {
  KeepFreedMemory();
  // Blocked before any thread exists, so every thread inherits the mask and only sigwait below
  // ever sees these signals: no work happens in a signal handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A log reader that went away must not kill the server; the write just fails.
  std::signal(SIGPIPE, SIG_IGN);

  LogSink log = StderrLogSink();
  absl::StatusOr<std::unique_ptr<AlignServer>> started = AlignServer::Start(options, log);
  if (!started.ok()) {
    log(absl::StrCat("alignd: ", started.status().message()));
    return 1;
  }
  AlignServer& server = **started;
  log(absl::StrCat("alignd: serving ", Describe(server.holder().Get()->ref), " on ",
                   server.address()));
  if (!options.port_file.empty()) {
    if (absl::Status written = WritePortFile(options.port_file, server.port()); !written.ok()) {
      log(absl::StrCat("alignd: ", written.message()));
      server.Shutdown();
      return 1;
    }
  }

  while (true) {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal == SIGHUP) {
      server.ReloadFromFolder().IgnoreError();  // logged; the old base keeps serving
      continue;
    }
    log(absl::StrCat("alignd: ", signal == SIGTERM ? "SIGTERM" : "SIGINT",
                     ": shutting down, draining calls for up to ", options.drain_seconds, " s"));
    break;
  }
  server.Shutdown();
  log("alignd: stopped");
  return 0;
}

}  // namespace align::service
