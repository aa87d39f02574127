// alignd as a whole: its options, the server (rule base, credentials, health, reflection, the
// advisor service), and the run loop that answers signals. main() only parses and calls
// RunServer.
//
//   ASSIGN_OR_RETURN(ServerOptions options,
//                    ParseFlags({"--rules", "rules", "--listen", "127.0.0.1:0"}));
//   RETURN_IF_ERROR(ValidateOptions(options));
//   ASSIGN_OR_RETURN(std::unique_ptr<AlignServer> server, AlignServer::Start(options));
//   … server->port() …
//   server->Shutdown();
#ifndef ALIGN_SERVICE_SERVER_H_
#define ALIGN_SERVICE_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/engine_holder.h"
#include "service/logging.h"

namespace align::service {

struct ServerOptions {
  std::string rules_path;                // --rules DIR (required)
  std::string listen = "127.0.0.1:50051";  // --listen HOST:PORT; port 0 picks a free one
  std::string port_file;                 // --port-file FILE: the bound port, once serving
  bool insecure = false;                 // --insecure: plaintext on a non-loopback address
  std::string tls_cert, tls_key;         // --tls-cert FILE --tls-key FILE (PEM)
  std::string client_ca;                 // --client-ca FILE: require and verify client certs
  std::string admin_token_file;          // --admin-token-file FILE: enables ReloadRules
  int64_t max_message_bytes = 4 << 20;   // --max-message-bytes N
  int64_t max_deadline_ms = 10000;       // --max-deadline-ms N
  std::string decision_log;              // --decision-log FILE (JSON lines)
  int64_t drain_seconds = 10;            // --drain-seconds N
  bool help = false;                     // --help
};

// What `alignd --help` prints.
std::string Usage();

// Parses the arguments after the program name. Flags are "--name value" or "--name=value".
// InvalidArgument naming the flag for an unknown flag, a missing or malformed value, or a
// stray argument.
absl::StatusOr<ServerOptions> ParseFlags(const std::vector<std::string>& args);

// Checks the flags together: InvalidArgument, e.g. "refusing to listen on 0.0.0.0:50051
// without TLS; pass --tls-cert/--tls-key, or --insecure to accept plaintext".
absl::Status ValidateOptions(const ServerOptions& options);

// Whether `listen` ("HOST:PORT", "[V6]:PORT", "unix:PATH") only accepts local connections.
bool IsLoopbackAddress(absl::string_view listen);

class AlignServer {
 public:
  // Loads the rule base, reads the token and TLS files, opens the decision log, binds and
  // starts serving; health is SERVING once this returns. Errors: the rule base's (with every
  // error formatted), an unreadable file's, Unavailable when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<AlignServer>> Start(const ServerOptions& options,
                                                            LogSink log = StderrLogSink());
  // Shuts down if Shutdown was not called.
  ~AlignServer();

  int port() const { return port_; }
  // The --listen host with the bound port: "127.0.0.1:43817".
  std::string address() const;
  EngineHolder& holder() { return *holder_; }

  // SIGHUP: reloads from the --rules folder and logs "alignd: reloaded …" or
  // "alignd: reload refused: …" with the errors. Returns the outcome too.
  absl::Status ReloadFromFolder();

  // Health NOT_SERVING, then stops taking calls and waits up to --drain-seconds for the ones in
  // flight; those still running then are cancelled.
  void Shutdown();

 private:
  struct Parts;
  AlignServer(const ServerOptions& options, LogSink log);

  const ServerOptions options_;
  const LogSink log_;
  std::unique_ptr<EngineHolder> holder_;
  std::unique_ptr<Parts> parts_;  // service, workers, decision log
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
};

// alignd's life after flag parsing: blocks SIGHUP/SIGTERM/SIGINT in every thread, starts the
// server, logs the "serving" line, writes --port-file, then waits for signals on this thread
// (SIGHUP reloads; SIGTERM/SIGINT drain and stop). Returns the exit code: 0 after a clean
// shutdown, 1 when start-up fails.
int RunServer(const ServerOptions& options);

}  // namespace align::service

#endif  // ALIGN_SERVICE_SERVER_H_
