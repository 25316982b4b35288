// Replication through a real NATS JetStream: Debian's nats-server, started here on a free
// port of 127.0.0.1 with its files in a folder of the test's, killed with SIGKILL and started
// again to be a broker that fails. A site's Publisher and a follower's Replica run in this
// process, as `custody replicate` and `custody follow` run them; the CLI test runs those.
#include "custody/replication/jetstream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fstream>
#include <functional>
#include <thread>

#include "custody/domain/plant.h"
#include "custody/ledger/checkpoint.h"
#include "custody/ledger/rebuild.h"
#include "custody/ledger/record.h"
#include "custody/ledger/replica.h"
#include "custody/ledger/snapshot.h"
#include "custody/ledger/witness.h"
#include "domain/replication_fixture.h"
#include "server/server_support.h"

namespace custody::testing {
namespace {

namespace fs = std::filesystem;
namespace repl = custody::replication;
using namespace std::chrono_literals;

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

// nats-server with JetStream on file storage under `dir`.
class NatsServer {
 public:
  explicit NatsServer(fs::path dir) : dir_(std::move(dir)), port_(free_port()) {
    fs::create_directories(dir_);
    start();
  }
  ~NatsServer() { kill(SIGTERM); }
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  void start() {
    pid_ = ::fork();
    if (pid_ == 0) {
      const std::string port = std::to_string(port_);
      const std::string store = (dir_ / "store").string();
      const std::string log = (dir_ / "nats.log").string();
      ::execl(CUSTODY_NATS_SERVER, "nats-server", "-js", "-a", "127.0.0.1", "-p", port.c_str(),
              "-sd", store.c_str(), "-l", log.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ASSERT_GT(pid_, 0);
    // Up when a JetStream connection gets through.
    const auto until = std::chrono::steady_clock::now() + 20s;
    for (;;) {
      auto js = repl::JetStream::connect(config(), "probe");
      if (js) break;
      ASSERT_LT(std::chrono::steady_clock::now(), until)
          << "nats-server did not start: " << js.error().message;
      std::this_thread::sleep_for(50ms);
    }
  }
  void kill(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  [[nodiscard]] repl::NatsConfig config() const {
    repl::NatsConfig c;
    c.url = "nats://127.0.0.1:" + std::to_string(port_);
    c.timeout = 2000ms;
    return c;
  }

 private:
  fs::path dir_;
  int port_;
  pid_t pid_ = -1;
};

class JetStreamTest : public ReplicationTest {
 protected:
  // Records at the site, up to a checkpoint.
  void raise(int n) {
    ReplicationTest::raise(n);
    ASSERT_TRUE(ledger_->checkpoint());
  }

  std::unique_ptr<repl::JetStream> connect(const std::string& name) {
    auto js = repl::JetStream::connect(nats_.config(), name);
    EXPECT_TRUE(js) << js.error().message;
    return js ? std::move(*js) : nullptr;
  }

  std::unique_ptr<ledger::Replica> open_copy() {
    auto r = ledger::Replica::open(copy_, "plant-a", ledger_->meta().node_public_key,
                                   domain::make_state_machine());
    EXPECT_TRUE(r) << r.error().message;
    return r ? std::move(*r) : nullptr;
  }

  // Publishes what the site has ready, retrying while the broker is away.
  std::uint64_t publish(repl::Publisher& p) {
    const auto until = std::chrono::steady_clock::now() + 30s;
    for (;;) {
      auto r = p.publish_ready(ledger_->store());
      if (r) return *r;
      EXPECT_EQ(r.error().code, ErrorCode::kUnavailable) << r.error().message;
      if (std::chrono::steady_clock::now() > until || r.error().code != ErrorCode::kUnavailable) {
        ADD_FAILURE() << "could not publish: " << r.error().message;
        return 0;
      }
      std::this_thread::sleep_for(100ms);
    }
  }

  std::vector<repl::Alarm> follow(repl::JetStream& js, ledger::Replica& r) {
    std::vector<repl::Alarm> alarms;
    repl::Follower f(js, r, "plant-a");
    auto taken = f.poll([&](const repl::Alarm& a) { alarms.push_back(a); });
    EXPECT_TRUE(taken) << taken.error().message;
    return alarms;
  }

  void expect_copy_is_the_site() {
    const Contents site_now = site();
    EXPECT_TRUE(contents(copy_) == site_now) << "the copy's records or projections differ";
  }

  NatsServer nats_{tmp_ / "nats"};
  fs::path copy_ = tmp_ / "copy";
};

TEST_F(JetStreamTest, ASiteReachesAFollowerThatResumesWhereItsCopyEnds) {
  raise(30);
  auto site_js = connect("site");
  repl::Publisher pub(*site_js, "plant-a");
  EXPECT_EQ(publish(pub), ledger_->head().seq);
  EXPECT_EQ(pub.published(), ledger_->head().seq);
  EXPECT_EQ(publish(pub), 0u) << "a second round published again";

  auto follower_js = connect("follower");
  {
    auto copy = open_copy();
    EXPECT_TRUE(follow(*follower_js, *copy).empty());
    EXPECT_EQ(copy->head().seq, ledger_->head().seq);
  }
  expect_copy_is_the_site();

  // More at the site; a new publisher (the site restarted) resumes after the subject's end.
  const std::uint64_t first_head = ledger_->head().seq;
  raise(20);
  auto site_js2 = connect("site again");
  repl::Publisher pub2(*site_js2, "plant-a");
  ASSERT_TRUE(pub2.resume(ledger_->store()));
  EXPECT_EQ(pub2.published(), first_head);
  EXPECT_GT(publish(pub2), 0u);
  {
    auto copy = open_copy();
    EXPECT_TRUE(follow(*follower_js, *copy).empty());
    EXPECT_EQ(copy->head().seq, ledger_->head().seq);
  }
  expect_copy_is_the_site();
}

TEST_F(JetStreamTest, AForgedBatchOnTheSubjectIsRefusedAndReplicationGoesOn) {
  raise(10);
  auto site_js = connect("site");
  repl::Publisher pub(*site_js, "plant-a");
  publish(pub);

  // Someone with access to the broker puts two messages on the site's subject: bytes that
  // are no batch, and the site's next records with one of them changed.
  auto mallory = connect("mallory");
  ASSERT_TRUE(mallory->publish(repl::log_subject("plant-a"), "not a batch", "m-1", 0));
  raise(5);
  auto genuine = ledger::read_batches(ledger_->store(), pub.published());
  ASSERT_TRUE(genuine);
  ASSERT_FALSE(genuine->empty());
  ledger::Batch forged = genuine->front();
  auto f = ledger::decode_record(forged.records.front());
  ASSERT_TRUE(f);
  f->actor = "user:mallory";
  forged.records.front() = ledger::encode_record(*f).bytes;
  ASSERT_TRUE(
      mallory->publish(repl::log_subject("plant-a"), ledger::encode_batch(forged), "m-2", 0));

  // The site's next publish finds the subject moved under it, resumes after its own last
  // batch, and publishes on.
  EXPECT_GT(publish(pub), 0u);
  EXPECT_EQ(pub.foreign(), 2u);
  EXPECT_EQ(pub.published(), ledger_->head().seq);

  auto copy = open_copy();
  auto follower_js = connect("follower");
  auto alarms = follow(*follower_js, *copy);
  ASSERT_EQ(alarms.size(), 2u);
  for (const auto& a : alarms) {
    EXPECT_EQ(a.error.code, ErrorCode::kCorruption) << a.error.message;
    EXPECT_GT(a.stream_seq, 0u);
  }
  EXPECT_EQ(copy->head().seq, ledger_->head().seq);
  copy.reset();
  expect_copy_is_the_site();
}

TEST_F(JetStreamTest, ABrokerKilledAndStartedAgainLosesNothing) {
  raise(10);
  auto site_js = connect("site");
  repl::Publisher pub(*site_js, "plant-a");
  publish(pub);
  auto follower_js = connect("follower");
  auto copy = open_copy();
  EXPECT_TRUE(follow(*follower_js, *copy).empty());

  nats_.kill(SIGKILL);
  raise(10);
  // The site goes on committing while the broker is away; publishing fails and waits.
  auto away = pub.publish_ready(ledger_->store());
  ASSERT_FALSE(away);
  EXPECT_EQ(away.error().code, ErrorCode::kUnavailable) << away.error().message;

  nats_.start();
  EXPECT_GT(publish(pub), 0u);
  // The follower's connection comes back by itself.
  const auto until = std::chrono::steady_clock::now() + 30s;
  while (copy->head().seq < ledger_->head().seq && std::chrono::steady_clock::now() < until) {
    repl::Follower f(*follower_js, *copy, "plant-a");
    auto taken = f.poll([](const repl::Alarm& a) { ADD_FAILURE() << a.error.message; });
    if (!taken) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(copy->head().seq, ledger_->head().seq);
  copy.reset();
  expect_copy_is_the_site();
}

// `custody serve --replicate`: the publisher beside the writer. What the server commits
// reaches a follower (its checkpoint asked for when no later write brings one); while the
// broker is away the server goes on committing and /metrics shows the backlog.
TEST_F(JetStreamTest, ServePublishesWhatItCommitsAndShowsABacklogWhileTheBrokerIsAway) {
  raise(5);
  const std::string key = ledger_->meta().node_public_key;
  ledger_.reset();  // the server takes the ledger
  auto token = [&](const std::string& role) {
    auto r = run_custody({"token", "create", dir_.string(), "--id", role + "-1", "--role", role});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::string(boost::json::parse(r.out).at("token").as_string());
  };
  const std::string op = token("operator");
  const std::string auditor = token("auditor");
  // Bad names are refused before the ledger opens: exit 2, the field, nothing written.
  const std::uint64_t before = contents(dir_).head;
  for (const auto& [flag, field] : {std::pair{"--replicate-site", "replicateSite"},
                                    std::pair{"--replicate-stream", "replicateStream"}}) {
    auto bad = run_custody({"serve", dir_.string(), "--listen", "127.0.0.1:0", "--replicate",
                            nats_.config().url, flag, "a.b"});
    EXPECT_EQ(bad.exit_code, 2) << bad.err;
    EXPECT_NE(bad.err.find(std::string("field ") + field), std::string::npos) << bad.err;
  }
  for (const char* replicas : {"0", "6"}) {
    auto bad = run_custody({"serve", dir_.string(), "--listen", "127.0.0.1:0", "--replicate",
                            nats_.config().url, "--replicate-replicas", replicas});
    EXPECT_EQ(bad.exit_code, 2) << bad.err;
    EXPECT_NE(bad.err.find("field replicateReplicas"), std::string::npos) << bad.err;
  }
  EXPECT_EQ(contents(dir_).head, before);
  EXPECT_FALSE(fs::exists(dir_ / "server"));
  auto serve = std::make_unique<ServeProcess>(
      dir_, std::vector<std::string>{"--replicate", nats_.config().url, "--replicate-site",
                                     "plant-a", "--replicate-replicas", "1"});
  ASSERT_TRUE(serve->started());
  EXPECT_NE(serve->first_line().find(R"("replicating":"plant-a")"), std::string::npos)
      << serve->first_line();
  HttpClient client(serve->port());
  auto gauge = [&](const std::string& name) -> long long {
    auto m = client.request("GET", "/metrics", "", auditor);
    EXPECT_EQ(m.status, 200) << m.body;
    const auto at = m.body.find("\n" + name);
    if (at == std::string::npos) return -1;
    const auto space = m.body.find(' ', at + 1);
    return std::stoll(m.body.substr(space + 1));
  };
  int n = 0;
  auto note = [&] {
    auto r = client.request("POST", "/v1/commands",
                            R"({"type":"note.add","commandId":"n-)" + std::to_string(++n) +
                                R"(","data":{"subject":"line-1","text":"a note"}})",
                            op);
    EXPECT_EQ(r.status, 200) << r.body;
  };
  auto eventually = [&](const std::function<bool()>& done) {
    const auto until = std::chrono::steady_clock::now() + 30s;
    while (!done() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(50ms);
    return done();
  };
  auto copy = ledger::Replica::open(copy_, "plant-a", key, domain::make_state_machine());
  ASSERT_TRUE(copy);
  auto follower_js = connect("follower");
  auto caught_up = [&] {
    repl::Follower f(*follower_js, **copy, "plant-a");
    auto taken = f.poll([](const repl::Alarm& a) { ADD_FAILURE() << a.error.message; });
    return taken && static_cast<long long>((*copy)->head().seq) == gauge("custody_head_seq");
  };

  note();
  EXPECT_TRUE(eventually([&] { return gauge("custody_replication_backlog_records") == 0; }))
      << "the last command was not published";
  EXPECT_EQ(gauge("custody_replication_broker_connected"), 1);
  EXPECT_TRUE(eventually(caught_up));

  nats_.kill(SIGKILL);
  for (int i = 0; i < 3; ++i) note();  // the server commits without the broker
  EXPECT_TRUE(eventually([&] { return gauge("custody_replication_broker_connected") == 0; }));
  EXPECT_GT(gauge("custody_replication_backlog_records"), 0);
  EXPECT_GT(gauge("custody_replication_failures_total"), 0);

  nats_.start();
  EXPECT_TRUE(eventually([&] { return gauge("custody_replication_backlog_records") == 0; }));
  EXPECT_TRUE(eventually(caught_up));
  EXPECT_EQ(serve->stop(SIGTERM).code, 0);
  copy->reset();
  reopen();
  expect_copy_is_the_site();
}

// A follower that is also a witness cosigns each checkpoint it verified and sends the
// cosignature back; the site keeps it and `custody verify --witness-key` finds it. A site
// that then goes back to an older copy of itself and writes other records under the same
// seqs gets no cosignature for them: the follower refuses the rewrite.
TEST_F(JetStreamTest, AWitnessCosignsWhatItVerifiedAndARewrittenHistoryIsCaught) {
  raise(10);
  const std::string key = ledger_->meta().node_public_key;
  const fs::path witness = tmp_ / "witness";
  auto wkey = ledger::witness_init(witness, "witness.test", key);
  ASSERT_TRUE(wkey) << wkey.error().message;
  // The site as it is now, kept aside (the rewrite below starts from it).
  ledger_.reset();
  const fs::path before = tmp_ / "before";
  fs::copy(dir_, before, fs::copy_options::recursive);
  reopen();

  auto site_js = connect("site");
  repl::Publisher pub(*site_js, "plant-a");
  repl::CosignatureCollector cosigs(*site_js, "plant-a");
  auto follower_js = connect("follower");
  auto copy = open_copy();
  auto round = [&] {
    publish(pub);
    EXPECT_TRUE(follow(*follower_js, *copy).empty());
    auto c = repl::cosign_newest(*follower_js, *copy, witness, "plant-a");
    EXPECT_TRUE(c) << c.error().message;
    EXPECT_TRUE(c && *c) << "nothing to cosign";
    auto kept = cosigs.collect(ledger_->store());
    EXPECT_TRUE(kept) << kept.error().message;
    EXPECT_EQ(kept.value_or(0), 1u);
  };
  round();
  raise(5);
  round();
  const std::uint64_t witnessed = ledger_->head().seq;
  // A note on the cosignature subject that is not a cosigned checkpoint of this ledger is
  // not kept: another ledger's checkpoint text, and bytes that are no note.
  ASSERT_TRUE(site_js->publish(repl::cosig_subject("plant-a"), "not a note", "junk-1", 0));
  ledger::Checkpoint other{ledger_->meta().origin, witnessed, crypto::Digest{}, {}};
  ASSERT_TRUE(site_js->publish(
      repl::cosig_subject("plant-a"),
      ledger::sign_checkpoint(other, crypto::NoteSigner::generate(ledger_->meta().origin)),
      "junk-2", 0));
  auto junk = cosigs.collect(ledger_->store());
  ASSERT_TRUE(junk) << junk.error().message;
  EXPECT_EQ(*junk, 0u);
  EXPECT_EQ(cosigs.refused(), 2u);
  // The same checkpoint again (a cosignature whose publish failed is sent again): the
  // witness stays where it is, and the site keeps no second line for it.
  auto again = repl::cosign_newest(*follower_js, *copy, witness, "plant-a");
  ASSERT_TRUE(again) << again.error().message;
  auto same = cosigs.collect(ledger_->store());
  ASSERT_TRUE(same);
  EXPECT_EQ(*same, 0u);
  auto kept = ledger::newest_cosigned(dir_);
  ASSERT_TRUE(kept && *kept);
  auto state = ledger::witness_state(witness);
  ASSERT_TRUE(state);
  EXPECT_EQ(state->size, witnessed);
  const fs::path cosigned_note = tmp_ / "cosigned.note";
  std::ofstream(cosigned_note) << **kept;
  auto verified = run_custody({"verify", dir_.string(), "--witness-key", *wkey});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_NE(verified.out.find("witness.test"), std::string::npos) << verified.out;

  // The rewrite: the older copy, and other records after it.
  ledger_.reset();
  fs::remove_all(dir_);
  fs::rename(before, dir_);
  reopen();
  for (int i = 0; i < 8; ++i) {
    ok("exception.raise", R"({"exception":"EX-R)" + std::to_string(i) +
                              R"(","category":"quality","severity":"low","description":"other"})");
  }
  ASSERT_TRUE(ledger_->checkpoint());
  ASSERT_GE(ledger_->head().seq, witnessed);
  repl::Publisher forger(*site_js, "plant-a");
  publish(forger);
  EXPECT_GE(forger.foreign(), 1u) << "the original's batches looked like the rewrite's own";
  auto alarms = follow(*follower_js, *copy);
  ASSERT_FALSE(alarms.empty());
  EXPECT_EQ(alarms.front().error.code, ErrorCode::kConflict) << alarms.front().error.message;
  EXPECT_EQ(copy->head().seq, witnessed);
  auto none = repl::cosign_newest(*follower_js, *copy, witness, "plant-a");
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_EQ(ledger::witness_state(witness)->size, witnessed) << "the rewritten tree was cosigned";
  auto rewritten_kept = cosigs.collect(ledger_->store());
  ASSERT_TRUE(rewritten_kept);
  EXPECT_EQ(*rewritten_kept, 0u) << "the rewritten site kept a cosignature";
  // The cosigned checkpoint the auditor kept does not match the rewritten ledger.
  auto caught = run_custody(
      {"verify", dir_.string(), "--checkpoint", cosigned_note.string(), "--witness-key", *wkey});
  EXPECT_EQ(caught.exit_code, 3) << caught.out << caught.err;
}

// `custody replicate` and `custody follow` as an operator runs them.
TEST_F(JetStreamTest, TheCommandsReplicateFollowAndRefuseBadInput) {
  raise(10);
  const std::string url = nats_.config().url;
  const std::string key = ledger_->meta().node_public_key;
  const std::string site = dir_.string();
  auto pub = run_custody({"replicate", site, "--nats", url, "--site", "plant-a", "--once"});
  ASSERT_EQ(pub.exit_code, 0) << pub.err;
  auto pub_json = boost::json::parse(lines(pub.out).back()).as_object();
  EXPECT_EQ(pub_json.at("published").as_int64(), static_cast<std::int64_t>(ledger_->head().seq));

  auto fol = run_custody(
      {"follow", copy_.string(), "--nats", url, "--site", "plant-a", "--key", key, "--once"});
  ASSERT_EQ(fol.exit_code, 0) << fol.err;
  auto fol_json = boost::json::parse(lines(fol.out).back()).as_object();
  EXPECT_EQ(fol_json.at("head").as_int64(), static_cast<std::int64_t>(ledger_->head().seq));
  EXPECT_EQ(fol_json.at("alarms").as_int64(), 0);

  // No command writes to the copy.
  auto append = run_custody({"append", copy_.string()},
                            R"({"type":"exception.raise","commandId":"x-1","actor":"user:a",)"
                            R"("data":{"exception":"EX-X","category":"quality","severity":"low",)"
                            R"("description":"x"}})"
                            "\n");
  EXPECT_EQ(append.exit_code, 2);
  EXPECT_NE(append.err.find("permission_denied"), std::string::npos) << append.err;

  // Bad input: a clear error and nothing written.
  const fs::path other = tmp_ / "other-copy";
  auto bad_site = run_custody(
      {"follow", other.string(), "--nats", url, "--site", "plant.a", "--key", key, "--once"});
  EXPECT_EQ(bad_site.exit_code, 2);
  EXPECT_NE(bad_site.err.find("field site"), std::string::npos) << bad_site.err;
  auto bad_key = run_custody(
      {"follow", other.string(), "--nats", url, "--site", "plant-a", "--key", "nope", "--once"});
  EXPECT_EQ(bad_key.exit_code, 2);
  EXPECT_NE(bad_key.err.find("field key"), std::string::npos) << bad_key.err;
  auto bad_stream = run_custody(
      {"replicate", site, "--nats", url, "--site", "plant-a", "--stream", "a b", "--once"});
  EXPECT_EQ(bad_stream.exit_code, 2);
  EXPECT_NE(bad_stream.err.find("field stream"), std::string::npos) << bad_stream.err;
  for (const char* replicas : {"0", "6"}) {
    auto bad_publish = run_custody(
        {"replicate", site, "--nats", url, "--site", "plant-a", "--replicas", replicas, "--once"});
    EXPECT_EQ(bad_publish.exit_code, 2);
    EXPECT_NE(bad_publish.err.find("field replicas"), std::string::npos) << bad_publish.err;
    auto bad_follow = run_custody({"follow", other.string(), "--nats", url, "--site", "plant-a",
                                   "--key", key, "--replicas", replicas, "--once"});
    EXPECT_EQ(bad_follow.exit_code, 2);
    EXPECT_NE(bad_follow.err.find("field replicas"), std::string::npos) << bad_follow.err;
    EXPECT_FALSE(fs::exists(other));
  }
  auto no_broker = run_custody(
      {"replicate", site, "--nats", "nats://127.0.0.1:1", "--site", "plant-a", "--once"});
  EXPECT_EQ(no_broker.exit_code, 2);
  EXPECT_NE(no_broker.err.find("unavailable"), std::string::npos) << no_broker.err;
  auto not_a_witness = run_custody({"follow", other.string(), "--nats", url, "--site", "plant-a",
                                    "--key", key, "--witness", tmp_.path().string(), "--once"});
  EXPECT_EQ(not_a_witness.exit_code, 2);
  EXPECT_NE(not_a_witness.err.find("field witness"), std::string::npos) << not_a_witness.err;
  // A witness of another ledger's key.
  const fs::path stranger_witness = tmp_ / "stranger-witness";
  ASSERT_TRUE(
      ledger::witness_init(stranger_witness, "w.test",
                           crypto::NoteSigner::generate(ledger_->meta().origin).verifier().vkey()));
  auto other_witness =
      run_custody({"follow", other.string(), "--nats", url, "--site", "plant-a", "--key", key,
                   "--witness", stranger_witness.string(), "--once"});
  EXPECT_EQ(other_witness.exit_code, 2);
  EXPECT_NE(other_witness.err.find("field witness"), std::string::npos) << other_witness.err;
  auto bad_publish_site =
      run_custody({"replicate", site, "--nats", url, "--site", "plant/a", "--once"});
  EXPECT_EQ(bad_publish_site.exit_code, 2);
  EXPECT_NE(bad_publish_site.err.find("field site"), std::string::npos) << bad_publish_site.err;
  EXPECT_FALSE(fs::exists(other));

  // A follower that trusts another key refuses every checkpoint and writes nothing.
  const std::string stranger =
      crypto::NoteSigner::generate(ledger_->meta().origin).verifier().vkey();
  auto wrong_key = run_custody(
      {"follow", other.string(), "--nats", url, "--site", "plant-a", "--key", stranger, "--once"});
  EXPECT_EQ(wrong_key.exit_code, 3) << wrong_key.err;
  EXPECT_NE(wrong_key.err.find("\"alarm\":\"corruption\""), std::string::npos) << wrong_key.err;
  EXPECT_FALSE(fs::exists(other));
}

TEST_F(JetStreamTest, BadBrokerSettingsAreRefusedClearly) {
  auto c = nats_.config();
  c.stream = "no spaces";
  auto bad = repl::JetStream::connect(c, "x");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "stream");
  c = nats_.config();
  c.url = "nats://127.0.0.1:1";
  auto away = repl::JetStream::connect(c, "x");
  ASSERT_FALSE(away);
  EXPECT_EQ(away.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(away.error().field, "nats");
  // A cluster's nodes, comma-separated: one away, one there.
  c.url = "nats://127.0.0.1:1, " + nats_.config().url;
  auto listed = repl::JetStream::connect(c, "x");
  ASSERT_TRUE(listed) << listed.error().message;
  c.url = " , ";
  auto none = repl::JetStream::connect(c, "x");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(none.error().field, "nats");
  for (const char* name : {"a.b", "", "a*", "a>"}) {
    auto n = repl::check_name(name, "site");
    ASSERT_FALSE(n) << name;
    EXPECT_EQ(n.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(n.error().field, "site");
  }
  EXPECT_TRUE(repl::check_name("plant-a_1", "site"));
}

}  // namespace
}  // namespace custody::testing
