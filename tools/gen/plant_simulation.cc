// The demo plant as a discrete-event simulation. Handlers run in time order off one queue;
// each writes its commands and updates the generator's own copy of the state custody
// checks (lot quantity and status, machine busy or down, step order, exception state), so a
// command is only written when the ledger will accept it. See plant_generator.h for the
// plant and the guarantees.
//
// What the plant is made of is plant_catalogue.h; units and randomness plant_support.h. This
// file is the simulation, in this order: the state it tracks, command output, and the
// processes: master data, daily planning, receiving, work orders, device readings, QA,
// shipping, exceptions, shift notes and the recall drill.
#include <algorithm>
#include <array>
#include <cstdlib>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "custody/codec/json_writer.h"
#include "custody/common/encoding.h"
#include "gen/plant_catalogue.h"
#include "gen/plant_generator.h"
#include "gen/plant_support.h"

namespace custody::gen {
namespace {

using codec::JsonWriter;
using namespace plant;  // NOLINT(google-build-using-namespace): the plant's own vocabulary

// ---------------------------------------------------------------- state

enum class LotStatus : std::uint8_t { kAwaiting, kReleased, kHeld, kRejected };
// What receiving QA will decide; known when the lot is ordered so that planning does not
// count on lots that will be rejected.
enum class Fate : std::uint8_t { kRelease, kHoldThenRelease, kReject };

// Days from harvest to the growers' use-by on raw produce (the plant itself composts raw lots
// still on hand after 5 days; see shelf_life).
constexpr std::uint64_t kRawShelfLifeDays = 7;

// The finished products' yield limits, percent of theoretical (material.define).
constexpr std::int64_t kYieldMin = 90;
constexpr std::int64_t kYieldMax = 102;

struct Lot {
  std::string id;
  int material = 0;
  std::int64_t on_hand = 0;  // thousandths
  LotStatus status = LotStatus::kAwaiting;
  Fate fate = Fate::kRelease;
  int supplier = -1;
  std::string supplier_lot;
  int day = 0;  // simulation day received or made
  int wo = -1;  // the work order that made it
  std::int64_t shipped = 0;
  std::vector<int> consumers;  // work orders that consumed it
  // Named by an open deviation: not released until QA approves it. Custody put it on hold
  // (it was released, in stock), or a release came due meanwhile and waits for the approval.
  bool deviation = false, held_by_deviation = false, release_pending = false;
  std::int64_t to_ship = 0;  // set aside for lines of a shipping wave not yet loaded
};

struct WorkOrder {
  std::string id;
  int product = 0;
  std::int64_t qty = 0;  // planned cases
  int permille = 1000;   // raw usage against the routing standard
  std::vector<Wc> steps;
  std::size_t next = 0;  // the step to start next (or running)
  int machine = -1;      // running the current step
  std::int64_t cases_in = 0;
  std::int64_t good = 0, scrap = 0;  // the running step's outcome
  std::int64_t reported_good = 0, reported_scrap = 0;
  TimeNs step_start = 0, step_end = 0;
  bool washed = false;   // raw greens consumed
  bool packing = false;  // packaging consumed
  std::vector<int> lots;
  std::int64_t theoretical = 0;  // cases the greens consumed cover (thousandths), as custody
                                 // computes it: the scarcest ingredient decides
  std::int64_t produced = 0;     // cases packed into lots (thousandths)
  bool wilted = false;           // the one order whose wash trimmed a wilted delivery
};

struct Machine {
  int spec = 0;
  int running = -1;                               // work order
  int down = 0;                                   // open equipment exceptions
  std::array<bool, kParamCount> out_of_limits{};  // last reading of each parameter
  TimeNs cleaned_at = -1;                         // -1: never
  int last_product = -1;                          // the product of its last run
  bool stopped = false;                           // in the overnight planned stop
};

struct PlannedLot {
  int material = 0;
  std::int64_t qty = 0;
  std::string supplier_lot;
  Fate fate = Fate::kRelease;
};

struct Truck {
  int supplier = 0;
  std::string document;
  std::vector<PlannedLot> lots;
  bool expedited = false;
};

// An exception worked through assign -> acknowledge -> resolve -> close.
struct ExceptionWork {
  std::string id;
  std::string assigner, assignee, closer;  // actors
  TimeNs assign_at = 0, acknowledge_at = 0, resolve_at = 0, close_at = 0;
  std::string root_cause, action;
  int machine_down = -1;  // comes back up when resolved
};

// ---------------------------------------------------------------- the simulation

class PlantSimulation {
 public:
  PlantSimulation(const PlantOptions& options, std::ostream& out)
      : opt_(options),
        out_(out),
        rng_(options.seed),
        defect_rng_(options.seed ^ 0x5ca1ab1eULL),
        label_rng_(options.seed ^ 0x1abe1ULL),
        end_(options.start + options.days * kDay) {
    for (const auto& r : kRaw) material_ids_.push_back(pid(r.id));
    for (const auto& p : kPackaging) material_ids_.push_back(pid(p.id));
    for (const auto& p : kProducts) material_ids_.push_back(pid(p.id));
    stock_.resize(material_ids_.size());
    in_transit_.resize(material_ids_.size());
    for (std::size_t i = 0; i < kMachines.size(); ++i) {
      machines_.push_back(Machine{static_cast<int>(i)});
      machine_ids_.push_back(pid(kMachines[i].id));
    }
    for (auto& s : supplier_serial_) s = static_cast<int>(rng_.between(100, 400));
    weekly_packaging_ = weekly_packaging_estimate();
  }

  Result<PlantSummary> run() {
    master_data(opt_.start);
    at(opt_.start, [this] { start_day(0); });
    for (int room : kColdRooms) {
      at(opt_.start + rng_.minutes_between(1, 20), [this, room] { cold_room_tick(room); });
    }
    while (!queue_.empty()) {
      std::pop_heap(queue_.begin(), queue_.end(), later);
      Pending p = std::move(queue_.back());
      queue_.pop_back();
      t_ = p.t;
      p.fn();
    }
    recall_drill();
    flush();
    if (!out_) return std::unexpected(Error::io("cannot write the plant's commands"));
    summary_.commands = commands_;
    return summary_;
  }

 private:
  struct Pending {
    TimeNs t;
    std::uint64_t seq;
    std::function<void()> fn;
  };
  static bool later(const Pending& a, const Pending& b) {
    return a.t != b.t ? a.t > b.t : a.seq > b.seq;
  }

  // Runs `fn` at `t` (ties in scheduling order); nothing happens at or after the end.
  void at(TimeNs t, std::function<void()> fn) {
    if (t >= end_) return;
    queue_.push_back(Pending{std::max(t, t_), queue_seq_++, std::move(fn)});
    std::push_heap(queue_.begin(), queue_.end(), later);
  }

  // ------------------------------------------------------------ names and time

  std::string pid(std::string_view id) const {
    return opt_.prefix.empty() ? std::string(id) : opt_.prefix + "-" + std::string(id);
  }
  std::string user(std::string_view name) const { return "user:" + pid(name); }
  std::string device(int machine, std::string_view what) const {
    return "device:" + pid(std::string(kMachines[machine].id) + "-" + std::string(what));
  }
  const std::string& machine_id(int m) const { return machine_ids_[m]; }

  // Midnight of the day `t` falls on.
  TimeNs midnight(TimeNs t) const { return opt_.start + floor_div(t - opt_.start, kDay) * kDay; }
  int day_of(TimeNs t) const { return static_cast<int>(floor_div(t - opt_.start, kDay)); }
  // Production shifts run 06:00-14:00 (0) and 14:00-22:00 (1); receiving and QA start the
  // day shift at 04:00, and overtime after 22:00 belongs to shift 1 of the day it started on.
  int plant_day(TimeNs t) const {
    return static_cast<int>(floor_div(t - opt_.start - 4 * kHour, kDay));
  }
  int shift(TimeNs t) const {
    const TimeNs into = t - opt_.start - 4 * kHour - plant_day(t) * kDay;
    return into < 10 * kHour ? 0 : 1;
  }
  std::string operator_for(Wc wc, TimeNs t) const {
    const int day = plant_day(t);
    const int crew = static_cast<int>((shift(t) + floor_div(day, 7)) % 2 + 2) % 2;
    const int member = static_cast<int>(((idx(wc) - day) % 5 + 5) % 5);
    return user(kOperators[crew * 5 + member]);
  }
  std::string supervisor(TimeNs t) const { return user(kSupervisors[shift(t)]); }
  std::string qa_tech(TimeNs t) const { return user(kQaTechs[shift(t)]); }
  std::string maintenance(TimeNs t) const { return user(kMaintenance[shift(t)]); }
  std::string shipper(TimeNs t) const { return user(kShippers[shift(t)]); }

  static std::string yymmdd(TimeNs t) {
    const std::string s = format_rfc3339(t);
    return s.substr(2, 2) + s.substr(5, 2) + s.substr(8, 2);
  }
  static std::string yymm(TimeNs t) { return yymmdd(t).substr(0, 4); }

  // "<kind><yymmdd>-<n>", numbered per kind and date.
  std::string serial_id(std::string_view kind, TimeNs t, std::size_t width) {
    std::string key = std::string(kind) + yymmdd(t);
    const int n = ++serials_[key];
    return pid(key + "-" + pad(n, width));
  }

  // ------------------------------------------------------------ output

  // Writes one command at `t` (or at the last written time, if later: times never go back)
  // and returns its commandId. `data` writes the fields of "data".
  template <typename F>
  std::string write(TimeNs t, std::string_view type, std::string_view tag, const std::string& actor,
                    F&& data) {
    now_ = std::max(now_, t);
    std::string id = pid(std::string(tag) + "-" + std::to_string(++commands_));
    JsonWriter w(buf_);
    w.begin_object();
    w.key("type").string(type);
    w.key("commandId").string(id);
    w.key("actor").string(actor);
    w.key("occurredAt").string(format_rfc3339(now_));
    w.key("data").begin_object();
    data(w);
    w.end_object();
    w.end_object();
    buf_.push_back('\n');
    if (buf_.size() >= kFlushBytes) flush();
    return id;
  }

  void flush() {
    out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    buf_.clear();
  }

  static void qty(JsonWriter& w, std::string_view key, std::int64_t thousandths) {
    w.key(key).decimal(thousandths, 3);
  }
  static void params(JsonWriter& w, std::initializer_list<ParamIdx> list) {
    w.key("params").begin_array();
    for (auto p : list) {
      w.begin_object();
      w.key("name").string(kParams[p].name);
      w.key("min").decimal(kParams[p].min, 1);
      w.key("max").decimal(kParams[p].max, 1);
      w.key("unit").string(kParams[p].unit);
      w.end_object();
    }
    w.end_array();
  }

  void note(TimeNs t, const std::string& actor, std::string_view subject, const std::string& text) {
    write(t, "note.add", "note", actor, [&](JsonWriter& w) {
      w.key("subject").string(pid(subject));
      w.key("text").string(text);
    });
  }

  // ------------------------------------------------------------ master data

  void master_data(TimeNs t) {
    const std::string qa = user(kQaManager);
    const std::string eng = user(kEngineer);
    for (const auto& s : kSuppliers) {
      write(t, "party.define", "md", qa, [&](JsonWriter& w) {
        w.key("party").string(pid(s.id));
        w.key("name").string(s.name);
        w.key("role").string("supplier");
        w.key("address").string(s.address);
        w.key("gln").string(with_check_digit(s.gln));
      });
    }
    for (const auto& c : kCustomers) {
      write(t, "party.define", "md", qa, [&](JsonWriter& w) {
        w.key("party").string(pid(c.id));
        w.key("name").string(c.name);
        w.key("role").string("customer");
        w.key("address").string(c.address);
        w.key("gln").string(with_check_digit(c.gln));
      });
    }
    for (std::size_t i = 0; i < kRaw.size(); ++i) {
      write(t, "material.define", "md", qa, [&](JsonWriter& w) {
        w.key("material").string(material_ids_[i]);
        w.key("name").string(kRaw[i].name);
        w.key("uom").string("kg");
        w.key("kind").string("raw");
        w.key("requiresRelease").boolean(true);
        // The plant composts raw lots after 5 days (shelf_life); the growers' use-by is 7.
        w.key("shelfLifeDays").uint64(kRawShelfLifeDays);
      });
    }
    for (std::size_t i = 0; i < kPackaging.size(); ++i) {
      write(t, "material.define", "md", qa, [&](JsonWriter& w) {
        w.key("material").string(material_ids_[kFirstPackaging + i]);
        w.key("name").string(kPackaging[i].name);
        w.key("uom").string("ea");
        w.key("kind").string("packaging");
      });
    }
    for (std::size_t i = 0; i < kProducts.size(); ++i) {
      write(t, "material.define", "md", qa, [&](JsonWriter& w) {
        w.key("material").string(material_ids_[kFirstProduct + i]);
        w.key("name").string(kProducts[i].name);
        w.key("uom").string("case");
        w.key("kind").string("finished");
        w.key("requiresRelease").boolean(true);
        w.key("gtin").string(with_check_digit(kProducts[i].gtin));
        w.key("shelfLifeDays").uint64(14);  // use-by on the bag
        w.key("bestBeforeDays").uint64(12);
        // Trim loss at the wash and scrap on the line keep a bag within these of theoretical.
        w.key("yieldMin").int64(kYieldMin);
        w.key("yieldMax").int64(kYieldMax);
      });
    }
    for (std::size_t m = 0; m < kMachines.size(); ++m) {
      write(t, "equipment.define", "md", eng, [&](JsonWriter& w) {
        w.key("equipment").string(machine_id(static_cast<int>(m)));
        w.key("name").string(kMachines[m].name);
        w.key("workCenter").string(pid(kWorkCenters[idx(kMachines[m].wc)]));
        if (kMachines[m].wc == Wc::kCold) params(w, {kRoomTemp});
        // The flumes are cleaned daily before their first run and carry a chlorine probe that
        // must be in calibration; the blender is cleaned between two products.
        if (kMachines[m].wc == Wc::kWash) {
          w.key("cleanEveryHours").uint64(24);
          w.key("requiresCalibration").boolean(true);
        }
        if (kMachines[m].wc == Wc::kMix) w.key("cleanOnChange").string("material");
        // Its rated speed: the fastest product's standard time. OEE is kept for it.
        if (kMachines[m].wc != Wc::kCold) qty(w, "idealRate", nameplate_rate(kMachines[m].wc));
      });
    }
    for (std::size_t p = 0; p < kProducts.size(); ++p) routing(t, static_cast<int>(p));
    piece_rates(t);
    defect_catalogue(t);
    training(t);
    calibration(t);
    note(t, eng, "plant",
         "Master data loaded: " + std::to_string(kFarmCount) + " farms, " +
             std::to_string(kCustomers.size()) + " distribution centres, " +
             std::to_string(kProducts.size()) + " products, " + std::to_string(kMachines.size()) +
             " machines");
  }

  void routing(TimeNs t, int p) {
    const Product& prod = kProducts[p];
    write(t, "routing.define", "md", user(kEngineer), [&](JsonWriter& w) {
      w.key("routing").string(pid("rt-" + std::string(prod.id)));
      w.key("material").string(material_ids_[kFirstProduct + p]);
      w.key("steps").begin_array();
      for (Wc wc : steps_of(prod)) {
        w.begin_object();
        w.key("step").string(kWorkCenters[idx(wc)]);
        w.key("name").string(kStepNames[idx(wc)]);
        w.key("workCenter").string(pid(kWorkCenters[idx(wc)]));
        // The chlorine wash is the plan's critical control point: trained operators only.
        if (wc == Wc::kWash) w.key("critical").boolean(true);
        // The packing line is cleared of the last order's film, cartons and labels before
        // each order, and the case labels issued to it are counted back (21 CFR 211.130).
        if (wc == Wc::kPack) {
          w.key("lineClearance").boolean(true);
          w.key("labelling").boolean(true);
        }
        // Soil found after the spin dryer goes back to the flume for a second wash.
        if (wc == Wc::kDry) {
          w.key("reworkTo").begin_array();
          w.string(kWorkCenters[idx(Wc::kWash)]);
          w.end_array();
        }
        if (wc == Wc::kWash) {
          w.key("inputs").begin_array();
          for (int i = 0; i < prod.n_ingredients; ++i) {
            w.begin_object();
            w.key("material").string(material_ids_[prod.ingredients[i].raw]);
            qty(w, "qtyPerUnit", prod.ingredients[i].grams);
            w.end_object();
          }
          w.end_array();
          params(w, {kChlorine, kWaterTemp, kPh});
        } else if (wc == Wc::kPack) {
          w.key("inputs").begin_array();
          w.begin_object();
          w.key("material").string(material_ids_[kFirstPackaging + prod.film]);
          qty(w, "qtyPerUnit", prod.units * kUnit);
          w.end_object();
          w.begin_object();
          w.key("material").string(material_ids_[kFirstPackaging + prod.carton]);
          qty(w, "qtyPerUnit", kUnit);
          w.end_object();
          w.end_array();
        }
        qty(w, "minutesPerUnit", prod.mpu[idx(wc)]);
        w.end_object();
      }
      w.end_array();
    });
  }

  // Cases an hour (x1000) at the work centre's fastest standard time.
  static std::int64_t nameplate_rate(Wc wc) {
    int fastest = 0;
    for (const auto& p : kProducts) {
      const int mpu = p.mpu[idx(wc)];
      if (mpu > 0 && (fastest == 0 || mpu < fastest)) fastest = mpu;
    }
    return fastest == 0 ? 0 : 60'000'000LL / fastest;  // 60 min / (fastest / 1000) x 1000
  }

  // Piece rates for each product's steps, per case: packing pays most and deducts the cases it
  // scraps, the rest pay good cases only. The packing rate rises by a cent mid-month.
  void piece_rates(TimeNs t) {
    auto rate = [&](TimeNs at, int p, Wc wc, std::int64_t ten_thousandths) {
      write(t, "piece_rate.define", "md", user(kPlanner), [&](JsonWriter& w) {
        w.key("material").string(material_ids_[kFirstProduct + p]);
        w.key("step").string(kWorkCenters[idx(wc)]);
        w.key("effective").string(format_rfc3339(at));
        w.key("rate").decimal(ten_thousandths, 4);
        w.key("currency").string("EUR");
        w.key("scrap").string(wc == Wc::kPack ? "deducted" : "unpaid");
      });
    };
    for (std::size_t p = 0; p < kProducts.size(); ++p) {
      for (Wc wc : steps_of(kProducts[p])) {
        const int i = static_cast<int>(p);
        rate(t, i, wc, wc == Wc::kPack ? 1200 : 450);
        if (wc == Wc::kPack && opt_.days > 15) rate(midnight(t) + 15 * kDay, i, wc, 1300);
      }
    }
  }

  // QA's defect catalogue, which scrap is reported against, and the three shifts of the plant's
  // day (on the generator's clock: midnight is `start`). Shifts belong to the site: a plant
  // with a prefix, one of several lines sharing a ledger, leaves them to the site.
  void defect_catalogue(TimeNs t) {
    for (const auto& d : kDefects) {
      write(t, "defect.define", "md", user(kQaManager), [&](JsonWriter& w) {
        w.key("defect").string(pid(d.id));
        w.key("name").string(d.name);
        w.key("category").string(d.category);
      });
    }
    if (!opt_.prefix.empty()) return;
    for (const auto& s : kShifts) {
      write(t, "shift.define", "md", user(kPlanner), [&](JsonWriter& w) {
        w.key("shift").string(s.id);
        w.key("name").string(s.name);
        w.key("start").string(s.start);
        w.key("end").string(s.end);
      });
    }
  }

  // Every operator may run the wash (they rotate through all work centres), trained by the QA
  // manager on its procedure for a year; the first one's training lapses on day 10 and is
  // renewed the day before. A yearly refresher, a fortnight before the year runs out, keeps
  // everyone qualified over a long run.
  void training(TimeNs t) {
    for (std::size_t i = 0; i < kOperators.size(); ++i) {
      const TimeNs until = t + (i == 0 ? 10 : 365) * kDay;
      qualify(t, user(kOperators[i]), until);
    }
    at(t + 9 * kDay + 10 * kHour, [this] { qualify(t_, user(kOperators[0]), t_ + 365 * kDay); });
    refresher(t + 351 * kDay + 10 * kHour);
  }

  void refresher(TimeNs when) {
    at(when, [this] {
      for (const auto& op : kOperators) qualify(t_, user(op), t_ + 365 * kDay);
      refresher(t_ + 351 * kDay);
    });
  }

  // The flumes' chlorine probes are calibrated with the master data for 15 days, then on day
  // 14 at 05:00 and every 90 days after, each time for 120 days.
  void calibration(TimeNs t) {
    for (std::size_t m = 0; m < kMachines.size(); ++m) {
      if (kMachines[m].wc != Wc::kWash) continue;
      calibrate(t, static_cast<int>(m), t + 15 * kDay, 1);
      recalibrate(midnight(t) + 12 * kDay + 29 * kHour, static_cast<int>(m), 2);
    }
  }

  void recalibrate(TimeNs when, int m, int n) {
    at(when, [this, m, n] {
      calibrate(t_, m, t_ + 120 * kDay, n);
      recalibrate(t_ + 90 * kDay, m, n + 1);
    });
  }

  void calibrate(TimeNs t, int m, TimeNs until, int n) {
    write(t, "equipment.calibrate", "cal", maintenance(t), [&](JsonWriter& w) {
      w.key("equipment").string(machine_id(m));
      w.key("until").string(format_rfc3339(until));
      w.key("certificate").string("CAL-" + std::string(kMachines[m].id) + "-" + std::to_string(n));
    });
  }

  // Pre-operational sanitation, just before a run: a flume before its first run of the day
  // (its interval is 24 hours), the blender when the product changes.
  void sanitise(int m, int product) {
    Machine& mc = machines_[m];
    const Wc wc = kMachines[mc.spec].wc;
    const bool daily = wc == Wc::kWash && (mc.cleaned_at < 0 || t_ - mc.cleaned_at > 20 * kHour);
    const bool changeover = wc == Wc::kMix && mc.last_product >= 0 && mc.last_product != product;
    if (daily || changeover) {
      write(t_, "equipment.clean", "san", user(kSanitation), [&](JsonWriter& w) {
        w.key("equipment").string(machine_id(m));
        w.key("procedure")
            .string(daily ? "SSOP-3 flume clean and sanitise, rev 5"
                          : "SSOP-6 blender changeover wet clean, rev 2");
      });
      mc.cleaned_at = t_;
    }
    mc.last_product = product;
  }

  void qualify(TimeNs t, const std::string& who, TimeNs until) {
    write(t, "qualification.grant", "md", user(kSupervisors[0]), [&](JsonWriter& w) {
      w.key("user").string(who);
      w.key("workCenter").string(pid(kWorkCenters[idx(Wc::kWash)]));
      w.key("until").string(format_rfc3339(until));
      w.key("trainer").string(user(kQaManager));
      w.key("procedure").string("SOP-WASH-01 rev 3: chlorine wash, HACCP CCP 1");
    });
  }

  static std::vector<Wc> steps_of(const Product& p) {
    std::vector<Wc> s{Wc::kWash};
    if (p.cut) s.push_back(Wc::kCut);
    s.push_back(Wc::kDry);
    if (p.mix) s.push_back(Wc::kMix);
    s.push_back(Wc::kPack);
    return s;
  }

  // ------------------------------------------------------------ the day

  void start_day(int d) {
    if (opt_.on_day) opt_.on_day(d);
    const TimeNs day = opt_.start + d * kDay;
    compact_stock();
    plan_work_orders(d, day);
    plan_raw_receipts(d, day);
    plan_packaging(d, day);
    at(day + 5 * kHour, [this, d] { shelf_life(d); });
    at(day + 5 * kHour + minutes(15), [this] { sanitation_note(); });
    at(day + 5 * kHour + minutes(20), [this] { end_planned_stops(); });
    // The stop ends the next morning: not on the last night, so the plant ends ready to run.
    if (d + 1 < opt_.days) at(day + 22 * kHour + minutes(45), [this] { planned_stops(); });
    for (int s = 0; s < 2; ++s) {
      at(day + (6 + 8 * s) * kHour, [this, s] { shift_start_note(s); });
      at(day + (14 + 8 * s) * kHour - minutes(5), [this, s] { shift_end_note(s); });
    }
    for (TimeNs wave : {10 * kHour, 14 * kHour + minutes(30), 18 * kHour + minutes(30),
                        21 * kHour + minutes(45)}) {
      at(day + wave, [this] { shipping_wave(); });
    }
    if (rng_.chance(450)) at(day + rng_.minutes_between(7 * 60, 20 * 60), [this] { breakdown(); });
    if (rng_.chance(200)) at(day + rng_.minutes_between(6 * 60, 21 * 60), [this] { incident(); });
    if (rng_.chance(350)) at(day + rng_.minutes_between(9 * 60, 11 * 60), [this] { split_lot(); });
    if (rng_.chance(250)) at(day + rng_.minutes_between(11 * 60, 13 * 60), [this] { move_lot(); });
    if (d + 1 < opt_.days) at(day + kDay, [this, d] { start_day(d + 1); });
  }

  // Drops lots that can no longer be used from the pick lists.
  void compact_stock() {
    for (auto& list : stock_) {
      std::erase_if(list, [&](int l) {
        return lots_[l].on_hand == 0 || lots_[l].status == LotStatus::kRejected;
      });
    }
  }

  // 6-12 orders a day, spread over both shifts. The first of each day is created and released
  // the evening before, so that material can be staged overnight.
  void plan_work_orders(int d, TimeNs day) {
    const int n = static_cast<int>(rng_.between(6, 12));
    for (int k = d == 0 ? 0 : 1; k < n; ++k) {
      const TimeNs planned = day + 6 * kHour + minutes(10 + k * 13 * 60 / n + rng_.between(0, 10));
      plan_order(day, planned, day + 5 * kHour + minutes(2 * k), planned - minutes(20));
    }
    const TimeNs tomorrow = day + kDay;
    at(day + 21 * kHour + minutes(30), [this, tomorrow] {
      plan_order(tomorrow, tomorrow + 6 * kHour + minutes(10 + rng_.between(0, 10)), t_,
                 t_ + minutes(5));
    });
  }

  void plan_order(TimeNs day, TimeNs planned, TimeNs create_at, TimeNs release_at) {
    int total_weight = 0;
    for (const auto& p : kProducts) total_weight += p.weight;
    int pick = static_cast<int>(rng_.between(0, total_weight - 1));
    int p = 0;
    while (pick >= kProducts[p].weight) pick -= kProducts[p++].weight;
    const Product& prod = kProducts[p];
    WorkOrder wo;
    wo.product = p;
    wo.qty = rng_.between(prod.min_cases / 10, prod.max_cases / 10) * 10;
    wo.permille = static_cast<int>(rng_.between(985, 1040));
    wo.steps = steps_of(prod);
    wo.cases_in = wo.qty;
    TimeNs estimate = 0;
    for (Wc wc : wo.steps) {
      estimate += minutes(25 + wo.qty * prod.mpu[idx(wc)] * 105 / 100'000);
    }
    const TimeNs due = (planned + estimate + minutes(15 + 14)) / minutes(15) * minutes(15);
    const int w = static_cast<int>(wos_.size());
    wo.id = serial_id("WO-", day, 2);
    wos_.push_back(std::move(wo));
    at(create_at, [this, w, due] { create_work_order(w, due); });
    at(release_at, [this, w] {
      write(t_, "wo.release", "wo", supervisor(t_),
            [&](JsonWriter& j) { j.key("wo").string(wos_[w].id); });
    });
    at(planned, [this, w] { try_start(w); });
  }

  void create_work_order(int w, TimeNs due) {
    const WorkOrder& wo = wos_[w];
    write(t_, "wo.create", "wo", user(kPlanner), [&](JsonWriter& j) {
      j.key("wo").string(wo.id);
      j.key("material").string(material_ids_[kFirstProduct + wo.product]);
      qty(j, "qty", wo.qty * kUnit);
      j.key("routing").string(pid("rt-" + std::string(kProducts[wo.product].id)));
      j.key("due").string(format_rfc3339(due));
    });
    ++summary_.work_orders;
  }

  // ------------------------------------------------------------ receiving

  // Raw greens the planner can count on on day d: released, awaiting release or held (but
  // not to be rejected), not rejected for shelf life that morning, plus what is on its way.
  std::int64_t raw_supply(int m, int d) const {
    std::int64_t total = in_transit_[m];
    for (int l : stock_[m]) {
      const Lot& lot = lots_[l];
      if (lot.status == LotStatus::kRejected || lot.fate == Fate::kReject) continue;
      if (lot.day <= d - 5) continue;
      total += lot.on_hand;
    }
    return total;
  }

  std::int64_t released_on_hand(int m) const {
    std::int64_t total = 0;
    for (int l : stock_[m]) {
      if (lots_[l].status == LotStatus::kReleased) total += lots_[l].on_hand;
    }
    return total;
  }

  // Greens a work order takes at its wash step, at most (thousandths of a kg).
  static std::int64_t raw_need(const WorkOrder& wo, const Ingredient& ing, int permille) {
    return round_up(wo.qty * ing.grams * permille / 1000, 100);
  }

  std::vector<int> growers(int raw) const {
    std::vector<int> out;
    for (int s = 0; s < kFarmCount; ++s) {
      if (kSuppliers[s].grows & (1u << raw)) out.push_back(s);
    }
    return out;
  }

  std::string supplier_lot(int s, TimeNs t) {
    return std::string(kSuppliers[s].code) + "-" + yymm(t) + "-" + pad(++supplier_serial_[s], 3);
  }

  void plan_raw_receipts(int d, TimeNs day) {
    std::map<int, Truck> trucks;  // by supplier
    for (int m = 0; m < static_cast<int>(kRaw.size()); ++m) {
      std::int64_t need = 0;
      for (const auto& wo : wos_) {
        if (wo.washed) continue;
        const Product& p = kProducts[wo.product];
        for (int i = 0; i < p.n_ingredients; ++i) {
          if (p.ingredients[i].raw == m) need += raw_need(wo, p.ingredients[i], 1040);
        }
      }
      if (need == 0) continue;
      std::int64_t shortfall = need * 11 / 10 - raw_supply(m, d);
      const auto farms = growers(m);
      const int farm = farms[rng_.index(farms.size())];
      std::string code;
      while (shortfall > 0) {
        PlannedLot lot;
        lot.material = m;
        const std::int64_t want = shortfall + rng_.between(50, 300) * kUnit;
        lot.qty = std::clamp<std::int64_t>(want + rng_.between(-20, 20) * 500, 500 * kUnit,
                                           2000 * kUnit) /
                  500 * 500;
        // One harvest lot per farm and material a day, however many bins it fills.
        if (code.empty()) code = supplier_lot(farm, day);
        lot.supplier_lot = code;
        lot.fate = rng_.chance(15)   ? Fate::kReject
                   : rng_.chance(40) ? Fate::kHoldThenRelease
                                     : Fate::kRelease;
        if (lot.fate != Fate::kReject) {
          shortfall -= lot.qty;
          in_transit_[m] += lot.qty;
        }
        trucks[farm].lots.push_back(std::move(lot));
      }
    }
    for (auto& [farm, truck] : trucks) {
      truck.supplier = farm;
      truck.document =
          std::string(kSuppliers[farm].code) + "-BOL-" + std::to_string(rng_.between(10000, 99999));
      const TimeNs arrival = day + 4 * kHour + minutes(30) + rng_.minutes_between(0, 180);
      at(arrival, [this, tr = std::move(truck)] { arrive(tr); });
    }
  }

  // A truck is unloaded a lot every two minutes; raw lots then go to receiving QA.
  void arrive(const Truck& truck) {
    auto shared = std::make_shared<const Truck>(truck);
    for (std::size_t i = 0; i < shared->lots.size(); ++i) {
      at(t_ + minutes(2 * static_cast<std::int64_t>(i)),
         [this, shared, i] { receive(*shared, i); });
    }
  }

  void receive(const Truck& truck, std::size_t i) {
    const bool raw = truck.supplier != kPackagingSupplier;
    const PlannedLot& planned = truck.lots[i];
    Lot lot;
    lot.id = serial_id(raw ? "R" : "P", t_, 2);
    lot.material = planned.material;
    lot.on_hand = planned.qty;
    lot.status = raw ? LotStatus::kAwaiting : LotStatus::kReleased;
    lot.fate = planned.fate;
    lot.supplier = truck.supplier;
    lot.supplier_lot = planned.supplier_lot;
    lot.day = day_of(t_);
    if (planned.fate != Fate::kReject) in_transit_[planned.material] -= planned.qty;
    write(t_, "lot.receive", "rcv", user(kReceiver), [&](JsonWriter& w) {
      w.key("lot").string(lot.id);
      w.key("material").string(material_ids_[lot.material]);
      qty(w, "qty", lot.on_hand);
      w.key("uom").string(raw ? "kg" : "ea");
      w.key("supplier").string(pid(kSuppliers[truck.supplier].id));
      w.key("supplierLot").string(lot.supplier_lot);
      w.key("location").string(pid(raw ? "raw-cooler" : "packaging-store"));
      w.key("document").string(truck.document);
      // Harvested the evening before the day it arrives.
      if (raw) w.key("produced").string(format_rfc3339(midnight(t_) - 4 * kHour));
    });
    const int l = static_cast<int>(lots_.size());
    stock_[lot.material].push_back(l);
    lots_.push_back(std::move(lot));
    ++summary_.lots_received;
    if (raw) {
      const TimeNs qa =
          truck.expedited ? rng_.minutes_between(15, 30) : rng_.minutes_between(20, 50);
      at(t_ + qa, [this, l] { receiving_qa(l); });
    }
  }

  // Pulp temperature at receiving, then release, hold for paperwork, or reject.
  void receiving_qa(int l) {
    const Fate fate = lots_[l].fate;
    const bool too_warm = fate == Fate::kReject;
    const std::int64_t value = too_warm ? rng_.between(72, 110) : rng_.between(10, 45);
    const std::string id = inspect(t_, l, "pulp-temperature", value, 0, 50, "C");
    const std::string qa = qa_tech(t_);
    if (fate == Fate::kRelease) {
      at(t_ + minutes(3), [this, l] { release_lot(l); });
    } else if (fate == Fate::kReject) {
      const std::string exception = "auto:" + id;
      at(t_ + minutes(4), [this, l, value] {
        set_status(
            l, LotStatus::kRejected, "lot.reject",
            "pulp temperature " + tenths(value) + " C on arrival (max 5 C); returned to grower");
      });
      work(ExceptionWork{
          exception, user(kQaManager), qa, user(kQaManager), t_ + minutes(10), t_ + minutes(15),
          t_ + rng_.minutes_between(40, 90), t_ + rng_.minutes_between(100, 130),
          "Reefer unit on the grower's truck failed in transit",
          "Lot rejected and returned to the grower; corrective action requested", -1});
    } else {
      const Lot& lot = lots_[l];
      const std::string farm(kSuppliers[lot.supplier].name);
      at(t_ + minutes(3), [this, l, farm] {
        set_status(l, LotStatus::kHeld, "lot.hold", "certificate of analysis missing from " + farm);
      });
      const std::string ex = serial_id("EX-", t_, 2);
      const TimeNs raised = t_ + minutes(5);
      const TimeNs coa = raised + rng_.minutes_between(120, 360);
      const std::string description = "Certificate of analysis missing for lot " + lot.id + " (" +
                                      std::string(kRaw[lot.material].id) + ", " + farm + " lot " +
                                      lot.supplier_lot + ")";
      at(raised, [this, ex, description, l, raised] {
        raise(
            ex, "material", "medium", description, user(kQaManager),
            [&](JsonWriter& w) { w.key("lot").string(lots_[l].id); }, raised + 8 * kHour);
      });
      work(ExceptionWork{ex, user(kQaManager), qa, user(kQaManager), raised + minutes(10),
                         raised + minutes(25), coa, coa + rng_.minutes_between(15, 40),
                         "Grower emailed the certificate to a wrong address",
                         "Certificate received and reviewed (pathogen tests negative); lot "
                         "released",
                         -1});
      at(coa + minutes(5), [this, l] { release_lot(l); });
    }
  }

  void release_lot(int l) {
    Lot& lot = lots_[l];
    if (lot.status == LotStatus::kReleased || lot.status == LotStatus::kRejected) return;
    if (lot.deviation) {
      lot.release_pending = true;
      return;
    }
    write(t_, "lot.release", "qa", qa_tech(t_),
          [&](JsonWriter& w) { w.key("lot").string(lots_[l].id); });
    lots_[l].status = LotStatus::kReleased;
  }

  void set_status(int l, LotStatus status, std::string_view type, const std::string& reason) {
    // A lot a deviation holds already is not held again; its release now waits for what
    // held it this time too.
    if (status == LotStatus::kHeld && lots_[l].status == LotStatus::kHeld) {
      lots_[l].held_by_deviation = false;
      return;
    }
    write(t_, type, "qa", qa_tech(t_), [&](JsonWriter& w) {
      w.key("lot").string(lots_[l].id);
      w.key("reason").string(reason);
    });
    lots_[l].status = status;
  }

  // Rejects raw lots still on hand five days after receipt.
  void shelf_life(int d) {
    for (int m = 0; m < static_cast<int>(kRaw.size()); ++m) {
      for (int l : stock_[m]) {
        Lot& lot = lots_[l];
        if (lot.status != LotStatus::kReleased || lot.on_hand == 0 || lot.day > d - 5) continue;
        lot.fate = Fate::kReject;
        set_status(l, LotStatus::kRejected, "lot.reject",
                   "past the 5-day raw shelf life; " + codec::format_decimal(lot.on_hand, 3) +
                       " kg composted");
      }
    }
  }

  // Packaging comes weekly, and early when the plan would run it low.
  std::array<std::int64_t, kPackaging.size()> weekly_packaging_estimate() const {
    std::array<std::int64_t, kPackaging.size()> out{};
    int total_weight = 0;
    for (const auto& p : kProducts) total_weight += p.weight;
    for (const auto& p : kProducts) {
      // 9 orders a day on average, 8 days of cover.
      const std::int64_t cases =
          9LL * 8 * p.weight * (p.min_cases + p.max_cases) / 2 / total_weight;
      out[p.film] += cases * p.units * kUnit;
      out[p.carton] += cases * kUnit;
    }
    for (auto& q : out) q = round_up(q, 1000 * kUnit);
    return out;
  }

  std::int64_t packaging_need(const WorkOrder& wo, int pkg) const {
    const Product& p = kProducts[wo.product];
    if (pkg == p.film) return round_up(wo.cases_in * p.units * 1020 + 6 * kUnit, kUnit);
    if (pkg == p.carton) return round_up(wo.cases_in * 1010 + 2 * kUnit, kUnit);
    return 0;
  }

  void plan_packaging(int d, TimeNs day) {
    Truck truck;
    truck.supplier = kPackagingSupplier;
    const bool weekly = d % 7 == 0;
    for (int k = 0; k < static_cast<int>(kPackaging.size()); ++k) {
      const int m = kFirstPackaging + k;
      std::int64_t need = 0;
      for (const auto& wo : wos_) {
        if (!wo.packing) need += packaging_need(wo, k);
      }
      const std::int64_t have = released_on_hand(m) + in_transit_[m];
      if (weekly || have < need * 3 / 2) {
        PlannedLot lot;
        lot.material = m;
        lot.qty = std::max(weekly_packaging_[k], round_up(need * 2 - have, 1000 * kUnit));
        lot.supplier_lot = supplier_lot(kPackagingSupplier, day);
        in_transit_[m] += lot.qty;
        truck.lots.push_back(std::move(lot));
      }
    }
    if (truck.lots.empty()) return;
    truck.document = "PP-ASN-" + std::to_string(rng_.between(100000, 999999));
    at(day + 5 * kHour + minutes(40) + rng_.minutes_between(0, 20),
       [this, tr = std::move(truck)] { arrive(tr); });
  }

  // When a work order finds too little released, orders more unless enough is coming.
  void expedite_raw(int w, int m, std::int64_t need) {
    std::int64_t coming = in_transit_[m];
    for (int l : stock_[m]) {
      const Lot& lot = lots_[l];
      if (lot.fate != Fate::kReject &&
          (lot.status == LotStatus::kAwaiting || lot.status == LotStatus::kHeld)) {
        coming += lot.on_hand;
      }
    }
    const std::int64_t released = released_on_hand(m);
    if (released + coming >= need) return;
    const auto farms = growers(m);
    Truck truck;
    truck.supplier = farms[rng_.index(farms.size())];
    truck.expedited = true;
    truck.document = std::string(kSuppliers[truck.supplier].code) + "-BOL-" +
                     std::to_string(rng_.between(10000, 99999));
    std::int64_t shortfall = need - released - coming + 100 * kUnit;
    const std::string code = supplier_lot(truck.supplier, t_);
    while (shortfall > 0) {
      PlannedLot lot;
      lot.material = m;
      lot.qty = round_up(std::clamp<std::int64_t>(shortfall, 500 * kUnit, 2000 * kUnit), 500);
      lot.supplier_lot = code;
      shortfall -= lot.qty;
      in_transit_[m] += lot.qty;
      truck.lots.push_back(std::move(lot));
    }
    const TimeNs arrival = t_ + rng_.minutes_between(90, 150);
    const std::string ex = serial_id("EX-", t_, 2);
    raise(
        ex, "material", "medium",
        "Short of " + std::string(kRaw[m].id) + " for " + wos_[w].id + ": " +
            codec::format_decimal(released, 3) + " kg released, " + codec::format_decimal(need, 3) +
            " kg needed; expedited truck from " + std::string(kSuppliers[truck.supplier].name),
        user(kPlanner), [&](JsonWriter& j) { j.key("wo").string(wos_[w].id); },
        arrival + 2 * kHour);
    work(ExceptionWork{ex, supervisor(t_), user(kPlanner), supervisor(t_), t_ + minutes(5),
                       t_ + minutes(12), arrival + minutes(45), arrival + minutes(70),
                       "Receipts planned on yesterday's yield; trim loss on the day was higher",
                       "Expedited delivery received and released; planning buffer raised", -1});
    at(arrival, [this, tr = std::move(truck)] { arrive(tr); });
  }

  void expedite_packaging(int m) {
    if (in_transit_[m] > 0) return;
    Truck truck;
    truck.supplier = kPackagingSupplier;
    truck.expedited = true;
    truck.document = "PP-ASN-" + std::to_string(rng_.between(100000, 999999));
    PlannedLot lot;
    lot.material = m;
    lot.qty = weekly_packaging_[m - kFirstPackaging];
    lot.supplier_lot = supplier_lot(kPackagingSupplier, t_);
    in_transit_[m] += lot.qty;
    truck.lots.push_back(std::move(lot));
    note(t_, user(kPlanner), "packaging",
         "Expedited delivery of " + std::string(kPackaging[m - kFirstPackaging].id) +
             " ordered; stock below the next order's need");
    at(t_ + rng_.minutes_between(120, 180), [this, tr = std::move(truck)] { arrive(tr); });
  }

  // Consumes `need` of material m for a running step, oldest released lots first.
  void consume(int w, Wc wc, int m, std::int64_t need) {
    for (int l : stock_[m]) {
      if (need == 0) break;
      Lot& lot = lots_[l];
      if (lot.status != LotStatus::kReleased || lot.on_hand == 0) continue;
      const std::int64_t take = std::min(need, lot.on_hand);
      write(t_, "lot.consume", "use", operator_for(wc, t_), [&](JsonWriter& j) {
        j.key("wo").string(wos_[w].id);
        j.key("step").string(kWorkCenters[idx(wc)]);
        j.key("lot").string(lot.id);
        qty(j, "qty", take);
      });
      lot.on_hand -= take;
      need -= take;
      if (lot.consumers.empty() || lot.consumers.back() != w) lot.consumers.push_back(w);
    }
  }

  // ------------------------------------------------------------ work orders

  int free_machine(Wc wc, Format format) {
    std::vector<int> free;
    for (std::size_t m = 0; m < machines_.size(); ++m) {
      const auto& spec = kMachines[machines_[m].spec];
      if (spec.wc != wc || machines_[m].running >= 0 || machines_[m].down > 0 ||
          machines_[m].stopped) {
        continue;
      }
      if (wc == Wc::kPack && spec.format != format) continue;
      free.push_back(static_cast<int>(m));
    }
    if (free.empty()) return -1;
    return free[rng_.index(free.size())];
  }

  // Starts the order's next step when its time, a machine and its materials allow.
  void try_start(int w) {
    WorkOrder& wo = wos_[w];
    const Product& prod = kProducts[wo.product];
    const Wc wc = wo.steps[wo.next];
    const TimeNs into_day = t_ - midnight(t_);
    if (into_day < 6 * kHour || into_day > 22 * kHour + minutes(30)) {
      const TimeNs morning = midnight(t_) + (into_day < 6 * kHour ? 0 : kDay) + 6 * kHour;
      at(morning + rng_.minutes_between(0, 20), [this, w] { try_start(w); });
      return;
    }
    const int machine = free_machine(wc, format_of(prod));
    if (machine < 0) {
      at(t_ + minutes(5), [this, w] { try_start(w); });
      return;
    }
    std::vector<std::pair<int, std::int64_t>> needs;
    if (wc == Wc::kWash) {
      for (int i = 0; i < prod.n_ingredients; ++i) {
        needs.emplace_back(prod.ingredients[i].raw, raw_need(wo, prod.ingredients[i], wo.permille));
      }
    } else if (wc == Wc::kPack) {
      needs.emplace_back(kFirstPackaging + prod.film, packaging_need(wo, prod.film));
      needs.emplace_back(kFirstPackaging + prod.carton, packaging_need(wo, prod.carton));
    }
    bool short_of_something = false;
    for (auto [m, need] : needs) {
      if (released_on_hand(m) >= need) continue;
      short_of_something = true;
      if (wc == Wc::kWash) {
        expedite_raw(w, m, need);
      } else {
        expedite_packaging(m);
      }
    }
    if (short_of_something) {
      at(t_ + minutes(15), [this, w] { try_start(w); });
      return;
    }
    start_step(w, machine, needs);
  }

  void start_step(int w, int machine, const std::vector<std::pair<int, std::int64_t>>& needs) {
    WorkOrder& wo = wos_[w];
    const Product& prod = kProducts[wo.product];
    const Wc wc = wo.steps[wo.next];
    const std::string step(kWorkCenters[idx(wc)]);
    sanitise(machine, wo.product);
    if (wc == Wc::kPack) clear_line(wo, machine);
    write(t_, "op.start", "op", operator_for(wc, t_), [&](JsonWriter& j) {
      j.key("wo").string(wo.id);
      j.key("step").string(step);
      j.key("equipment").string(machine_id(machine));
    });
    machines_[machine].running = w;
    wo.machine = machine;
    for (auto [m, need] : needs) consume(w, wc, m, need);
    if (wc == Wc::kWash) {
      wo.washed = true;
      for (int i = 0; i < prod.n_ingredients; ++i) {
        const std::int64_t covers = needs[i].second * 1000 / prod.ingredients[i].grams;
        if (i == 0 || covers < wo.theoretical) wo.theoretical = covers;
      }
    }
    if (wc == Wc::kPack) wo.packing = true;

    static constexpr std::array<std::pair<int, int>, 5> kSetup = {
        {{8, 15}, {5, 12}, {5, 10}, {5, 10}, {10, 20}}};
    static constexpr std::array<std::pair<int, int>, 5> kScrapPerMille = {
        {{5, 25}, {3, 15}, {2, 10}, {0, 5}, {5, 20}}};
    const auto [setup_lo, setup_hi] = kSetup[idx(wc)];
    const std::int64_t run = wo.cases_in * prod.mpu[idx(wc)] * rng_.between(92, 115) / 100'000;
    const std::int64_t duration = std::max<std::int64_t>(6, rng_.between(setup_lo, setup_hi) + run);
    auto [scrap_lo, scrap_hi] = kScrapPerMille[idx(wc)];
    // Once, after the first day: a delivery that wilted in the cooler is trimmed hard at the
    // wash, and the order comes out below its yield limit.
    if (wc == Wc::kWash && !wilted_done_ && t_ >= opt_.start + kDay) {
      wilted_done_ = true;
      wo.wilted = true;
      scrap_lo = 150;  // with the steps after it, always below 90% of theoretical
      scrap_hi = 180;
      note(
          t_, supervisor(t_), kWorkCenters[idx(wc)],
          "Heavy trimming on " + wo.id + ": outer leaves wilted after a cooler door was left open");
    }
    wo.scrap = wo.cases_in * rng_.between(scrap_lo, scrap_hi) / 1000;
    wo.good = wo.cases_in - wo.scrap;
    wo.reported_good = wo.reported_scrap = 0;
    wo.step_start = t_;
    wo.step_end = t_ + minutes(duration);

    if (wc == Wc::kWash) {
      // A chlorine dip, in 20-second ticks, well inside the step so that in-limit readings
      // follow it.
      const int ticks = static_cast<int>(duration * 3);
      int dip_start = -1, dip_len = 0;
      if (ticks >= 45 && rng_.chance(20)) {
        dip_start = static_cast<int>(rng_.between(12, ticks - 20));
        dip_len = static_cast<int>(rng_.between(2, 6));
      }
      at(t_ + kTick,
         [this, w, machine, dip_start, dip_len] { wash_tick(w, machine, 1, dip_start, dip_len); });
    }
    if (wc == Wc::kPack) schedule_pallets(w);
    if (wc == Wc::kDry) maybe_rework(w);
    // A step running across the 14:00 shift change: the first shift reports its part.
    const TimeNs handover = midnight(t_) + 14 * kHour;
    if (wo.step_start < handover && wo.step_end > handover + minutes(5)) {
      at(handover, [this, w] { report(w, /*final=*/false); });
    }
    at(wo.step_end, [this, w] { finish_step(w); });
  }

  // Reports the step's good and scrap: at a shift change the part made so far, at the end
  // the rest.
  void report(int w, bool final) {
    WorkOrder& wo = wos_[w];
    const Wc wc = wo.steps[wo.next];
    std::int64_t good = wo.good - wo.reported_good;
    std::int64_t scrap = wo.scrap - wo.reported_scrap;
    if (!final) {
      const TimeNs span = wo.step_end - wo.step_start;
      const TimeNs done = t_ - wo.step_start;
      good = wo.good * (done / kSecond) / (span / kSecond);
      scrap = wo.scrap * (done / kSecond) / (span / kSecond);
    }
    if (good == 0 && scrap == 0) return;
    // At a shift change the operator going off shift reports.
    const std::string actor = operator_for(wc, final ? t_ : t_ - kSecond);
    const auto defects = scrap_reasons(wo, wc, scrap);
    write(t_, "op.report", "rep", actor, [&](JsonWriter& j) {
      j.key("wo").string(wo.id);
      j.key("step").string(kWorkCenters[idx(wc)]);
      qty(j, "good", good * kUnit);
      qty(j, "scrap", scrap * kUnit);
      if (!defects.empty()) {
        j.key("defects").begin_array();
        for (const auto& [code, cases] : defects) {
          j.begin_object();
          j.key("defect").string(pid(code));
          qty(j, "qty", cases * kUnit);
          j.end_object();
        }
        j.end_array();
      }
    });
    wo.reported_good += good;
    wo.reported_scrap += scrap;
  }

  // Why `scrap` cases were lost at `wc`: one or two of the step's usual defects adding up to
  // it, the wilted wash all wilted; about one report in ten gives no reasons. Drawn from its
  // own generator, so the plant's month is the same with or without them.
  std::vector<std::pair<std::string_view, std::int64_t>> scrap_reasons(const WorkOrder& wo, Wc wc,
                                                                       std::int64_t scrap) {
    if (scrap <= 0) return {};
    if (wc == Wc::kWash && wo.wilted) return {{kDefects[kWiltedDefect].id, scrap}};
    if (defect_rng_.chance(100)) return {};
    const auto& usual = kStepDefects[idx(wc)];
    const std::size_t first = defect_rng_.index(usual.size());
    const std::int64_t main = scrap == 1 ? 1 : defect_rng_.between((scrap + 1) / 2, scrap);
    std::vector<std::pair<std::string_view, std::int64_t>> out{{kDefects[usual[first]].id, main}};
    if (main < scrap)
      out.emplace_back(kDefects[usual[(first + 1) % usual.size()]].id, scrap - main);
    return out;
  }

  // Now and then the spin dryer's operator finds soil on the leaves and sends a few cases back
  // to the flume; they are washed (and cut) again and reported good at each step, and come
  // back to the dryer, whose own report counts them once.
  void maybe_rework(int w) {
    WorkOrder& wo = wos_[w];
    if (wo.cases_in < 40 || !defect_rng_.chance(60)) return;
    const std::int64_t cases = defect_rng_.between(2, wo.cases_in / 20);
    at(t_ + defect_rng_.minutes_between(3, 5), [this, w, cases] {
      write(t_, "op.rework", "op", operator_for(Wc::kDry, t_), [&](JsonWriter& j) {
        j.key("wo").string(wos_[w].id);
        j.key("step").string(kWorkCenters[idx(Wc::kDry)]);
        j.key("toStep").string(kWorkCenters[idx(Wc::kWash)]);
        qty(j, "qty", cases * kUnit);
        j.key("defect").string(pid(kDefects[kSoilDefect].id));
        j.key("reason").string("Soil on the leaves after drying: back to the flume");
      });
      ++summary_.reworks;
      const auto& steps = wos_[w].steps;
      for (const Wc wc : {Wc::kWash, Wc::kCut}) {
        if (std::find(steps.begin(), steps.end(), wc) == steps.end()) continue;
        // Well before the order can complete (its later steps take 17 minutes at least).
        at(t_ + minutes(wc == Wc::kWash ? 4 : 6), [this, w, wc, cases] {
          write(t_, "op.report", "rep", operator_for(wc, t_), [&](JsonWriter& j) {
            j.key("wo").string(wos_[w].id);
            j.key("step").string(kWorkCenters[idx(wc)]);
            qty(j, "good", cases * kUnit);
            qty(j, "scrap", 0);
          });
        });
      }
    });
  }

  // The packer's operator clears the line of the previous order and the shift's supervisor
  // verifies it, just before the order starts there.
  void clear_line(const WorkOrder& wo, int machine) {
    const std::string step(kWorkCenters[idx(Wc::kPack)]);
    write(t_, "line.clear", "lc", operator_for(Wc::kPack, t_), [&](JsonWriter& j) {
      j.key("wo").string(wo.id);
      j.key("step").string(step);
      j.key("equipment").string(machine_id(machine));
      j.key("materialsRemoved").boolean(true);
      j.key("labelsRemoved").boolean(true);
    });
    write(t_, "line.verify", "lc", supervisor(t_), [&](JsonWriter& j) {
      j.key("wo").string(wo.id);
      j.key("step").string(step);
    });
    ++summary_.line_clearances;
  }

  // The case labels issued to the pack step, counted back before it completes: one on each
  // good case, the scrapped cases' and a few spoiled ones destroyed, the rest returned. About
  // one order in forty is short of a label or few, which custody raises and QA looks into.
  void reconcile_labels(int w) {
    const WorkOrder& wo = wos_[w];
    const std::int64_t spoiled = label_rng_.between(0, 3);
    const std::int64_t returned = label_rng_.between(5, 25);
    const std::int64_t missing = label_rng_.chance(25) ? label_rng_.between(1, 4) : 0;
    const std::int64_t issued = wo.good + wo.scrap + spoiled + returned + missing;
    const std::string id =
        write(t_, "label.reconcile", "lb", operator_for(Wc::kPack, t_), [&](JsonWriter& j) {
          j.key("wo").string(wo.id);
          j.key("step").string(kWorkCenters[idx(Wc::kPack)]);
          j.key("issued").int64(issued);
          j.key("used").int64(wo.good);
          j.key("destroyed").int64(wo.scrap + spoiled);
          j.key("returned").int64(returned);
        });
    if (missing == 0) return;
    ++summary_.label_discrepancies;
    const TimeNs resolve = label_rng_.minutes_between(90, 200);
    const TimeNs close = label_rng_.minutes_between(240, 360);
    qa_investigates("auto:" + id, minutes(25), minutes(50), resolve, close,
                    "Case labels torn off the roll and binned at a jam, not counted",
                    "Line and bins searched, no label found on other product; jam procedure "
                    "now counts spoiled labels");
    const int day = day_of(t_);
    if (day >= 2 && (last_deviation_day_ < 0 || day - last_deviation_day_ >= 10)) {
      last_deviation_day_ = day;
      escalate_label_loss(w, "auto:" + id);
    }
  }

  // Every ten days or so QA escalates a label loss to a deviation (a case without its label,
  // or with another product's, could be on the market): custody holds the order's lots; the
  // QA technician investigates, QA's manager opens a corrective action for the pack line's
  // supervisor and approves the investigation, and the lots are released. The supervisor
  // records the action done within the week; the manager checks it worked ten days on.
  void escalate_label_loss(int w, const std::string& exception) {
    const std::string dev = serial_id("DEV-", t_, 2);
    const std::string capa = serial_id("CAPA-", t_, 2);
    const std::string wo = wos_[w].id;
    const std::vector<int> lots = wos_[w].lots;
    const std::string owner = supervisor(t_);
    const TimeNs due = t_ + 14 * kDay;
    at(t_ + minutes(40), [this, dev, exception, wo, lots] {
      write(t_, "deviation.open", "dv", user(kQaManager), [&](JsonWriter& j) {
        j.key("deviation").string(dev);
        j.key("exception").string(exception);
        j.key("classification").string("major");
        j.key("description")
            .string("Case labels of " + wo + " not accounted for: a case may be unlabelled or " +
                    "carry another order's label");
      });
      ++summary_.deviations;
      for (int l : lots) {
        Lot& lot = lots_[l];
        lot.deviation = true;
        // custody still counts what a wave set aside and has not loaded yet.
        if (lot.status == LotStatus::kReleased && lot.on_hand + lot.to_ship > 0) {
          lot.status = LotStatus::kHeld;
          lot.held_by_deviation = true;
        }
      }
    });
    at(t_ + minutes(70), [this, dev, capa, owner, due] {
      write(t_, "capa.open", "dv", user(kQaManager), [&](JsonWriter& j) {
        j.key("capa").string(capa);
        j.key("deviation").string(dev);
        j.key("kind").string("corrective");
        j.key("action").string(
            "Count spoiled labels into a numbered bin at each jam; train the "
            "pack line's operators on it");
        j.key("owner").string(owner);
        j.key("due").string(format_rfc3339(due));
      });
      ++summary_.capa_actions;
    });
    at(t_ + 3 * kHour, [this, dev, wo] {
      write(t_, "deviation.assess", "dv", qa_tech(t_), [&](JsonWriter& j) {
        j.key("deviation").string(dev);
        j.key("impact").string("Every pallet of " + wo +
                               " checked case by case: all labelled with its own label; no "
                               "other order ran on the packer meanwhile");
        j.key("rootCause").string("Labels torn at a jam were binned with the waste, uncounted");
      });
    });
    at(t_ + 5 * kHour, [this, dev, lots] {
      write(t_, "deviation.approve", "dv", user(kQaManager), [&](JsonWriter& j) {
        j.key("deviation").string(dev);
        j.key("conclusion")
            .string(
                "No product affected; lots released. CAPA for the jam "
                "procedure.");
      });
      for (int l : lots) {
        Lot& lot = lots_[l];
        const bool release = lot.held_by_deviation || lot.release_pending;
        lot.deviation = lot.held_by_deviation = lot.release_pending = false;
        if (release) release_lot(l);
      }
    });
    at(t_ + 4 * kDay + label_rng_.minutes_between(0, 2 * 24 * 60), [this, capa, owner] {
      write(t_, "capa.complete", "dv", owner, [&](JsonWriter& j) {
        j.key("capa").string(capa);
        j.key("note").string("Numbered spoil bin at the labeller; 9 operators trained");
      });
      at(t_ + 10 * kDay, [this, capa] {
        write(t_, "capa.check", "dv", user(kQaManager), [&](JsonWriter& j) {
          j.key("capa").string(capa);
          j.key("effective").boolean(true);
          j.key("note").string("Label counts of the packer reconciled for ten days");
        });
      });
    });
  }

  // QA works an exception custody raised just now: the QA manager assigns it to the shift's QA
  // technician, who acknowledges, finds the root cause and acts, and the manager closes it;
  // each after its delay from now.
  void qa_investigates(const std::string& id, TimeNs assign, TimeNs acknowledge, TimeNs resolve,
                       TimeNs close, std::string_view root_cause, std::string_view action) {
    ++summary_.automatic_exceptions;
    work(ExceptionWork{id, user(kQaManager), qa_tech(t_), user(kQaManager), t_ + assign,
                       t_ + acknowledge, t_ + resolve, t_ + close, std::string(root_cause),
                       std::string(action), -1});
  }

  void finish_step(int w) {
    WorkOrder& wo = wos_[w];
    const Wc wc = wo.steps[wo.next];
    report(w, /*final=*/true);
    if (wc == Wc::kPack) reconcile_labels(w);
    write(t_, "op.complete", "op", operator_for(wc, t_), [&](JsonWriter& j) {
      j.key("wo").string(wo.id);
      j.key("step").string(kWorkCenters[idx(wc)]);
    });
    machines_[wo.machine].running = -1;
    wo.machine = -1;
    wo.cases_in = wo.good;
    ++wo.next;
    if (wo.next < wo.steps.size()) {
      at(t_ + rng_.minutes_between(5, 15), [this, w] { try_start(w); });
      return;
    }
    at(t_ + rng_.minutes_between(2, 6), [this, w] {
      const std::string id = write(t_, "wo.complete", "wo", supervisor(t_),
                                   [&](JsonWriter& j) { j.key("wo").string(wos_[w].id); });
      yield_check(w, id);
      const TimeNs close =
          midnight(t_) + kDay + 7 * kHour + minutes(30) + rng_.minutes_between(0, 120);
      at(close, [this, w] {
        write(t_, "wo.close", "wo", user(kPlanner),
              [&](JsonWriter& j) { j.key("wo").string(wos_[w].id); });
      });
    });
  }

  // custody judges the order's yield as it completes: outside the product's limits it raises a
  // quality exception, which QA investigates.
  void yield_check(int w, const std::string& completed_by) {
    const WorkOrder& wo = wos_[w];
    if (wo.theoretical <= 0) return;
    // produced / theoretical against the limits, in integers: a real difference is at least
    // 1/theoretical, far above the rounding of custody's double.
    const std::int64_t percent100 = wo.produced * 100;
    if (percent100 >= kYieldMin * wo.theoretical && percent100 <= kYieldMax * wo.theoretical)
      return;
    const TimeNs resolve = rng_.minutes_between(150, 300);
    const TimeNs close = rng_.minutes_between(320, 420);
    qa_investigates("auto:" + completed_by, minutes(20), minutes(40), resolve, close,
                    "Trim loss at the wash above standard: produce quality on the day",
                    "Lots reviewed against specification and released as fit; grower and "
                    "cooler practice reviewed");
  }

  // Pallets come off the line through the pack step; the last just before it ends.
  void schedule_pallets(int w) {
    const WorkOrder& wo = wos_[w];
    const Product& prod = kProducts[wo.product];
    const std::int64_t pallets = (wo.good + prod.pallet - 1) / prod.pallet;
    const TimeNs span = wo.step_end - wo.step_start;
    std::int64_t left = wo.good;
    for (std::int64_t k = 0; k < pallets; ++k) {
      const std::int64_t cases = std::min<std::int64_t>(prod.pallet, left);
      left -= cases;
      const TimeNs offset = std::max(10 * kSecond, span * (k + 1) / pallets - 30 * kSecond);
      const TimeNs when = wo.step_start + offset / kSecond * kSecond;
      at(when, [this, w, cases] { produce(w, cases); });
    }
  }

  void produce(int w, std::int64_t cases) {
    WorkOrder& wo = wos_[w];
    Lot lot;
    lot.id = serial_id("F", t_, 3);
    lot.material = kFirstProduct + wo.product;
    lot.on_hand = cases * kUnit;
    lot.status = LotStatus::kAwaiting;
    lot.day = day_of(t_);
    lot.wo = w;
    write(t_, "lot.produce", "make", operator_for(Wc::kPack, t_), [&](JsonWriter& j) {
      j.key("wo").string(wo.id);
      j.key("step").string(kWorkCenters[idx(Wc::kPack)]);
      j.key("lot").string(lot.id);
      qty(j, "qty", lot.on_hand);
      j.key("location").string(pid("fg-cooler"));
    });
    const int l = static_cast<int>(lots_.size());
    stock_[lot.material].push_back(l);
    wo.lots.push_back(l);
    wo.produced += cases * kUnit;
    lots_.push_back(std::move(lot));
    ++summary_.lots_produced;
    shift_cases_ += cases;
    ++shift_pallets_;
    at(t_ + rng_.minutes_between(15, 45), [this, l] { inspect_finished(l); });
  }

  // ------------------------------------------------------------ readings

  // Writes a reading; returns the automatic exception's id when it starts an excursion.
  std::string reading(int machine, ParamIdx p, std::int64_t value, const std::string& actor) {
    const Param& param = kParams[p];
    const bool in = value >= param.min && value <= param.max;
    const bool raises = !in && !machines_[machine].out_of_limits[p];
    machines_[machine].out_of_limits[p] = !in;
    const std::string id = write(t_, "reading.record", "rd", actor, [&](JsonWriter& j) {
      j.key("equipment").string(machine_id(machine));
      j.key("param").string(param.name);
      j.key("value").decimal(value, 1);
      j.key("unit").string(param.unit);
      j.key("at").string(format_rfc3339(now_));
    });
    ++summary_.readings;
    if (!raises) return {};
    ++summary_.automatic_exceptions;
    ++shift_exceptions_;
    return "auto:" + id;
  }

  // While a flume washes the analyser logs free chlorine every 20 seconds (kTick), water
  // temperature and pH every minute. A planned dip takes chlorine below 50 ppm for a few
  // ticks; only its first reading raises an exception.
  static constexpr TimeNs kTick = 20 * kSecond;

  void wash_tick(int w, int machine, int k, int dip_start, int dip_len) {
    const WorkOrder& wo = wos_[w];
    if (machines_[machine].running != w || t_ >= wo.step_end) return;
    const bool dip = dip_start >= 0 && k >= dip_start && k < dip_start + dip_len;
    const std::string exception =
        reading(machine, kChlorine, dip ? rng_.between(180, 470) : rng_.between(800, 1600),
                device(machine, "chlorine"));
    if (!exception.empty()) {
      const Fix& fix = kChlorineFixes[rng_.index(kChlorineFixes.size())];
      const TimeNs assign = t_ + rng_.minutes_between(3, 8);
      const TimeNs ack = assign + rng_.minutes_between(2, 5);
      const TimeNs resolve = ack + rng_.minutes_between(20, 60);
      work(ExceptionWork{exception, supervisor(t_), maintenance(t_), supervisor(t_), assign, ack,
                         resolve, resolve + rng_.minutes_between(15, 60),
                         std::string(fix.root_cause), std::string(fix.action), -1});
    }
    if (k % 3 == 0) {
      reading(machine, kWaterTemp, rng_.between(14, 36), device(machine, "water-temp"));
      reading(machine, kPh, rng_.between(64, 72), device(machine, "ph"));
    }
    if (t_ + kTick < wo.step_end) {
      at(t_ + kTick, [this, w, machine, k, dip_start, dip_len] {
        wash_tick(w, machine, k + 1, dip_start, dip_len);
      });
    }
  }

  // Cold rooms log every 15-30 minutes, every 10 while a door excursion lasts.
  void cold_room_tick(int room) {
    int& left = excursion_left_[room == kColdRooms[0] ? 0 : 1];
    if (left == 0 && t_ < end_ - 3 * kHour && rng_.chance(3))
      left = static_cast<int>(rng_.between(1, 3));
    const bool excursion = left > 0;
    const std::string exception =
        reading(room, kRoomTemp, excursion ? rng_.between(56, 88) : rng_.between(12, 42),
                device(room, "temp"));
    if (excursion) --left;
    if (!exception.empty()) {
      const Fix& fix = kDoorFixes[rng_.index(kDoorFixes.size())];
      const TimeNs assign = t_ + rng_.minutes_between(5, 15);
      const TimeNs ack = assign + rng_.minutes_between(3, 10);
      const TimeNs resolve = ack + rng_.minutes_between(30, 120);
      work(ExceptionWork{exception, supervisor(t_), maintenance(t_), user(kQaManager), assign, ack,
                         resolve, resolve + rng_.minutes_between(15, 60),
                         std::string(fix.root_cause), std::string(fix.action), -1});
    }
    at(t_ + (excursion ? minutes(10) : rng_.minutes_between(15, 30)),
       [this, room] { cold_room_tick(room); });
  }

  // ------------------------------------------------------------ QA

  // Records an inspection of a lot; returns its commandId.
  std::string inspect(TimeNs t, int l, std::string_view characteristic, std::int64_t value,
                      std::int64_t min, std::int64_t max, std::string_view unit) {
    const std::string id = write(t, "inspection.record", "insp", qa_tech(t), [&](JsonWriter& j) {
      j.key("lot").string(lots_[l].id);
      j.key("characteristic").string(characteristic);
      j.key("value").decimal(value, 1);
      j.key("min").decimal(min, 1);
      j.key("max").decimal(max, 1);
      j.key("unit").string(unit);
    });
    if (value < min || value > max) {
      ++summary_.automatic_exceptions;
      ++shift_exceptions_;
    }
    return id;
  }

  struct Check {
    std::string_view characteristic, unit;
    std::int64_t min, max, pass_lo, pass_hi, fail_lo, fail_hi;
  };
  static Check check_for(const Product& p, bool weight) {
    if (weight) {
      return {"net-weight",    "g",
              p.label_dg,      p.label_dg + 200,
              p.label_dg + 15, p.label_dg + 120,
              p.label_dg - 60, p.label_dg - 5};
    }
    return {"product-temperature", "C", 0, 50, 10, 42, 54, 75};
  }

  // Every finished pallet: net weight (most) or product temperature; about 3% fail.
  void inspect_finished(int l) {
    const Product& prod = kProducts[lots_[l].material - kFirstProduct];
    const bool weight = rng_.chance(750);
    const Check c = check_for(prod, weight);
    const bool fail = rng_.chance(30);
    const std::int64_t value =
        fail ? rng_.between(c.fail_lo, c.fail_hi) : rng_.between(c.pass_lo, c.pass_hi);
    const std::string id = inspect(t_, l, c.characteristic, value, c.min, c.max, c.unit);
    if (!fail) {
      at(t_ + rng_.minutes_between(5, 15), [this, l] { release_lot(l); });
      return;
    }
    // Hold, investigate, re-inspect; release after rework or reject.
    const std::string exception = "auto:" + id;
    const std::string reason = std::string(c.characteristic) + " " + tenths(value) + " " +
                               std::string(c.unit) + " outside " + tenths(c.min) + ".." +
                               tenths(c.max) + "; see " + exception;
    at(t_ + minutes(3), [this, l, reason] { set_status(l, LotStatus::kHeld, "lot.hold", reason); });
    const std::string manager = user(kQaManager);
    const std::string tech = qa_tech(t_);
    const TimeNs reinspect = t_ + rng_.minutes_between(60, 180);
    const bool reject = rng_.chance(250);
    at(t_ + minutes(10), [this, exception, manager, tech] { assign(exception, manager, tech); });
    at(t_ + minutes(25), [this, exception, tech] { acknowledge(exception, tech); });
    const std::string root_cause = !weight ? "Pallet staged at the pack-off dock too long"
                                   : format_of(prod) == Format::kBag
                                       ? "Bagger check-weigher drifted low"
                                       : "Clamshell filler multihead weigher drifted low";
    at(reinspect, [this, l, c, reject, exception, tech, manager, root_cause] {
      const std::int64_t v =
          reject ? rng_.between(c.fail_lo, c.fail_hi) : rng_.between(c.pass_lo, c.pass_hi);
      const std::string again = inspect(t_, l, c.characteristic, v, c.min, c.max, c.unit);
      if (!reject) {
        at(t_ + minutes(5), [this, exception, tech, root_cause] {
          resolve(exception, tech, root_cause,
                  "Cause corrected; lot re-inspected and within limits");
        });
        at(t_ + minutes(10), [this, l] { release_lot(l); });
        at(t_ + rng_.minutes_between(30, 90),
           [this, exception, manager] { close(exception, manager); });
        return;
      }
      at(t_ + minutes(5), [this, l] {
        set_status(l, LotStatus::kRejected, "lot.reject", "failed re-inspection; lot destroyed");
      });
      at(t_ + minutes(8), [this, exception, tech, root_cause] {
        resolve(exception, tech, root_cause, "Lot failed re-inspection; rejected and destroyed");
      });
      at(t_ + minutes(30), [this, exception, manager] { close(exception, manager); });
      work(ExceptionWork{
          "auto:" + again, manager, tech, manager, t_ + minutes(10), t_ + minutes(15),
          t_ + minutes(20), t_ + minutes(40), root_cause,
          "Re-inspection confirmed the failure; lot rejected (see " + exception + ")", -1});
    });
  }

  // ------------------------------------------------------------ shipping

  // Loads trucks for two or three distribution centres with what QA has released.
  void shipping_wave() {
    std::array<std::vector<int>, kProducts.size()> available;
    std::array<std::int64_t, kProducts.size()> total{};
    for (std::size_t p = 0; p < kProducts.size(); ++p) {
      for (int l : stock_[kFirstProduct + p]) {
        if (lots_[l].status == LotStatus::kReleased && lots_[l].on_hand > 0) {
          available[p].push_back(l);
          total[p] += lots_[l].on_hand / kUnit;
        }
      }
    }
    std::array<int, kCustomers.size()> order{};
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    for (std::size_t i = order.size() - 1; i > 0; --i)
      std::swap(order[i], order[rng_.index(i + 1)]);
    const int trucks = static_cast<int>(rng_.between(2, 3));
    // Each product's shippable cases, shared among the trucks.
    std::vector<std::array<std::int64_t, kProducts.size()>> shares(trucks);
    for (std::size_t p = 0; p < kProducts.size(); ++p) {
      std::int64_t ship = total[p] * rng_.between(850, 1000) / 1000;
      std::vector<std::int64_t> weights(trucks);
      std::int64_t sum = 0;
      for (auto& wgt : weights) sum += (wgt = rng_.between(1, 10));
      for (int k = 0; k < trucks; ++k) {
        const std::int64_t share = k + 1 == trucks ? ship
                                   : total[p] == 0 ? 0
                                                   : ship * weights[k] / sum;
        shares[k][p] = share;
        ship -= share;
        sum -= weights[k];
      }
    }
    // Lines are allocated (and the quantities set aside) now, and loaded one every 30 seconds,
    // a truck every 20 minutes. Nothing else draws on released finished lots meanwhile; a
    // deviation may hold one, and its lines are then not loaded.
    TimeNs t = t_;
    for (int k = 0; k < trucks; ++k) {
      const int customer = order[k];
      std::string shipment;
      for (std::size_t p = 0; p < kProducts.size(); ++p) {
        std::int64_t want = shares[k][p] * kUnit;
        for (int l : available[p]) {
          if (want == 0) break;
          Lot& lot = lots_[l];
          if (lot.on_hand == 0) continue;
          const std::int64_t take = std::min(want, lot.on_hand);
          if (shipment.empty()) shipment = serial_id("BOL-", t_, 2);
          lot.on_hand -= take;
          lot.shipped += take;
          lot.to_ship += take;
          want -= take;
          at(t, [this, l, take, customer, shipment] { ship(l, take, customer, shipment); });
          t += 30 * kSecond;
        }
      }
      t += minutes(20);
    }
  }

  void ship(int l, std::int64_t take, int customer, const std::string& shipment) {
    Lot& lot = lots_[l];
    lot.to_ship -= take;
    if (lot.status != LotStatus::kReleased) {
      lot.on_hand += take;
      lot.shipped -= take;
      return;
    }
    write(t_, "lot.ship", "ship", shipper(t_), [&](JsonWriter& j) {
      j.key("lot").string(lots_[l].id);
      qty(j, "qty", take);
      j.key("customer").string(pid(kCustomers[customer].id));
      j.key("shipment").string(shipment);
    });
    ++summary_.lots_shipped;
  }

  // ------------------------------------------------------------ exceptions

  template <typename F>
  void raise(const std::string& id, std::string_view category, std::string_view severity,
             const std::string& description, const std::string& actor, F&& links, TimeNs deadline) {
    write(t_, "exception.raise", "exc", actor, [&](JsonWriter& j) {
      j.key("exception").string(id);
      j.key("category").string(category);
      j.key("severity").string(severity);
      j.key("description").string(description);
      links(j);
      j.key("deadline").string(format_rfc3339(deadline));
    });
    ++summary_.exceptions_raised;
    ++shift_exceptions_;
  }

  void assign(const std::string& id, const std::string& assigner, const std::string& assignee) {
    write(t_, "exception.assign", "exc", assigner, [&](JsonWriter& j) {
      j.key("exception").string(id);
      j.key("assignee").string(assignee);
    });
  }
  void acknowledge(const std::string& id, const std::string& actor) {
    write(t_, "exception.acknowledge", "exc", actor,
          [&](JsonWriter& j) { j.key("exception").string(id); });
  }
  void resolve(const std::string& id, const std::string& actor, std::string_view root_cause,
               std::string_view action) {
    write(t_, "exception.resolve", "exc", actor, [&](JsonWriter& j) {
      j.key("exception").string(id);
      j.key("rootCause").string(root_cause);
      j.key("action").string(action);
    });
  }
  void close(const std::string& id, const std::string& actor) {
    write(t_, "exception.close", "exc", actor,
          [&](JsonWriter& j) { j.key("exception").string(id); });
  }

  // A broken machine is under maintenance from when maintenance takes the job until it is
  // fixed.
  void set_status(int m, std::string_view status, const std::string& actor,
                  std::string_view reason) {
    write(t_, "equipment.set_status", "eq", actor, [&](JsonWriter& j) {
      j.key("equipment").string(machine_id(m));
      j.key("status").string(status);
      j.key("reason").string(reason);
    });
  }

  void work(ExceptionWork work) {
    auto x = std::make_shared<const ExceptionWork>(std::move(work));
    at(x->assign_at, [this, x] { assign(x->id, x->assigner, x->assignee); });
    at(x->acknowledge_at, [this, x] {
      acknowledge(x->id, x->assignee);
      if (x->machine_down >= 0) {
        set_status(x->machine_down, "maintenance", x->assignee, "repair for " + x->id);
      }
    });
    at(x->resolve_at, [this, x] {
      resolve(x->id, x->assignee, x->root_cause, x->action);
      if (x->machine_down >= 0) {
        set_status(x->machine_down, "inService", x->assignee, x->action);
        --machines_[x->machine_down].down;
        at(t_ + minutes(2), [this, x] {
          note(t_, x->assignee, kMachines[x->machine_down].id,
               "Back in service after " + x->id + ": " + x->action);
        });
      }
    });
    at(x->close_at, [this, x] { close(x->id, x->closer); });
  }

  // A machine found broken between runs goes down until maintenance resolves it.
  void breakdown() {
    std::vector<int> idle;
    for (std::size_t m = 0; m < machines_.size(); ++m) {
      if (kMachines[m].wc != Wc::kCold && machines_[m].running < 0 && machines_[m].down == 0 &&
          !machines_[m].stopped) {
        idle.push_back(static_cast<int>(m));
      }
    }
    if (idle.empty()) return;
    const int m = idle[rng_.index(idle.size())];
    const MachineSpec& spec = kMachines[m];
    std::vector<const Trouble*> fits;
    for (const auto& tr : kBreakdowns) {
      if (tr.wc == spec.wc && (tr.format == Format::kAny || tr.format == spec.format))
        fits.push_back(&tr);
    }
    const Trouble& trouble = *fits[rng_.index(fits.size())];
    const std::string id = serial_id("EX-", t_, 2);
    const bool critical = rng_.chance(300);
    const TimeNs deadline = t_ + rng_.minutes_between(120, 240);
    raise(
        id, "equipment", critical ? "critical" : "high",
        std::string(spec.name) + ": " + std::string(trouble.description), operator_for(spec.wc, t_),
        [&](JsonWriter& j) { j.key("equipment").string(machine_id(m)); }, deadline);
    ++machines_[m].down;
    const TimeNs assign_at = t_ + rng_.minutes_between(5, 15);
    const TimeNs ack = assign_at + rng_.minutes_between(5, 10);
    const TimeNs resolve_at = ack + rng_.minutes_between(35, 190);
    work(ExceptionWork{id, supervisor(t_), maintenance(t_), supervisor(t_), assign_at, ack,
                       resolve_at, resolve_at + rng_.minutes_between(15, 60),
                       std::string(trouble.root_cause), std::string(trouble.action), m});
  }

  void incident() {
    const Incident& inc = kIncidents[rng_.index(kIncidents.size())];
    const std::string id = serial_id("EX-", t_, 2);
    raise(
        id, inc.category, inc.severity, std::string(inc.description), supervisor(t_),
        [](JsonWriter&) {}, t_ + 6 * kHour);
    const TimeNs assign_at = t_ + rng_.minutes_between(5, 20);
    const TimeNs ack = assign_at + rng_.minutes_between(5, 15);
    const TimeNs resolve_at = ack + rng_.minutes_between(60, 240);
    const std::string owner = inc.category == "personnel" ? supervisor(t_) : maintenance(t_);
    work(ExceptionWork{id, user(kQaManager), owner, user(kQaManager), assign_at, ack, resolve_at,
                       resolve_at + rng_.minutes_between(30, 90), std::string(inc.root_cause),
                       std::string(inc.action), -1});
  }

  // ------------------------------------------------------------ warehouse

  // A large released raw lot is split in two bins; one goes to the wash-line staging cooler.
  void split_lot() {
    for (int m = 0; m < static_cast<int>(kRaw.size()); ++m) {
      for (std::size_t i = 0; i < stock_[m].size(); ++i) {
        const int l = stock_[m][i];
        if (lots_[l].status != LotStatus::kReleased || lots_[l].on_hand < 1000 * kUnit) continue;
        Lot& parent = lots_[l];
        const std::int64_t first = parent.on_hand * rng_.between(40, 60) / 100 / 500 * 500;
        const std::int64_t second = parent.on_hand - first;
        const std::string a = parent.id + "-A";
        const std::string b = parent.id + "-B";
        write(t_, "lot.split", "wh", user(kReceiver), [&](JsonWriter& j) {
          j.key("lot").string(parent.id);
          j.key("into").begin_array();
          j.begin_object();
          j.key("lot").string(a);
          qty(j, "qty", first);
          j.end_object();
          j.begin_object();
          j.key("lot").string(b);
          qty(j, "qty", second);
          j.end_object();
          j.end_array();
        });
        Lot child_a = parent;
        child_a.id = a;
        child_a.on_hand = first;
        child_a.consumers.clear();
        Lot child_b = child_a;
        child_b.id = b;
        child_b.on_hand = second;
        parent.on_hand = 0;
        const int ia = static_cast<int>(lots_.size());
        lots_.push_back(std::move(child_a));
        lots_.push_back(std::move(child_b));
        // The children keep the parent's place in first-in-first-out order.
        stock_[m].insert(stock_[m].begin() + static_cast<std::ptrdiff_t>(i) + 1, {ia, ia + 1});
        at(t_ + minutes(4), [this, b] {
          write(t_, "lot.move", "wh", user(kReceiver), [&](JsonWriter& j) {
            j.key("lot").string(b);
            j.key("location").string(pid("wash-staging"));
          });
        });
        return;
      }
    }
  }

  void move_lot() {
    std::vector<int> candidates;
    for (int m = 0; m < static_cast<int>(kRaw.size()); ++m) {
      for (int l : stock_[m]) {
        if (lots_[l].status == LotStatus::kReleased && lots_[l].on_hand > 0)
          candidates.push_back(l);
      }
    }
    if (candidates.empty()) return;
    const int l = candidates[rng_.index(candidates.size())];
    write(t_, "lot.move", "wh", user(kReceiver), [&](JsonWriter& j) {
      j.key("lot").string(lots_[l].id);
      j.key("location").string(pid("overflow-cooler"));
    });
  }

  // ------------------------------------------------------------ shift log

  std::string shift_subject(int s) const {
    return "shift-" + format_rfc3339(t_).substr(0, 10) + "-" + std::to_string(s + 1);
  }

  // Overnight, the machines that are idle and working stop for sanitation: a planned stop, out
  // of OEE's planned production time. A run that goes on past it keeps its machine.
  void planned_stops() {
    for (std::size_t m = 0; m < machines_.size(); ++m) {
      Machine& x = machines_[m];
      if (kMachines[m].wc == Wc::kCold || x.running >= 0 || x.down > 0 || x.stopped) continue;
      set_status(static_cast<int>(m), "plannedStop", user(kSanitation), "overnight sanitation");
      x.stopped = true;
    }
  }

  void end_planned_stops() {
    for (std::size_t m = 0; m < machines_.size(); ++m) {
      if (!machines_[m].stopped) continue;
      set_status(static_cast<int>(m), "inService", user(kSanitation), "sanitation complete");
      machines_[m].stopped = false;
    }
  }

  void sanitation_note() {
    const std::int64_t swabs = rng_.between(20, 24);
    note(t_, user(kSanitation), "sanitation",
         "Overnight sanitation complete: flumes drained and sanitised, cutters and dryers foamed "
         "and rinsed; ATP swabs " +
             std::to_string(swabs) + "/" + std::to_string(swabs) + " below 150 RLU");
  }

  void shift_start_note(int s) {
    shift_cases_ = 0;
    shift_pallets_ = 0;
    shift_exceptions_ = 0;
    std::string crew;
    for (Wc wc : {Wc::kWash, Wc::kCut, Wc::kDry, Wc::kMix, Wc::kPack}) {
      if (!crew.empty()) crew += ", ";
      crew += operator_for(wc, t_).substr(5) + " (" + std::string(kWorkCenters[idx(wc)]) + ")";
    }
    int open = 0;
    for (const auto& wo : wos_) {
      if (wo.next < wo.steps.size()) ++open;
    }
    std::string down;
    for (std::size_t m = 0; m < machines_.size(); ++m) {
      if (machines_[m].down > 0)
        down += (down.empty() ? "" : ", ") + machine_id(static_cast<int>(m));
    }
    note(t_, supervisor(t_), shift_subject(s),
         "Shift " + std::to_string(s + 1) + " start. Crew: " + crew + ". Open work orders: " +
             std::to_string(open) + ". Down: " + (down.empty() ? "none" : down) + ".");
  }

  void shift_end_note(int s) {
    note(t_, supervisor(t_), shift_subject(s),
         "Shift " + std::to_string(s + 1) + " end. Packed " + std::to_string(shift_cases_) +
             " cases on " + std::to_string(shift_pallets_) + " pallets; " +
             std::to_string(shift_exceptions_) +
             (shift_exceptions_ == 1 ? " exception raised." : " exceptions raised."));
  }

  // ------------------------------------------------------------ the recall drill

  // Picks the supplier lot, received nearest the middle of the period, whose greens went into
  // at least two work orders with shipped output (else the one reaching the most), and asks
  // for a recall.
  void recall_drill() {
    struct Reach {
      int day = std::numeric_limits<int>::max();
      std::set<int> orders;
    };
    std::map<std::pair<int, std::string>, Reach> by_supplier_lot;
    for (const auto& lot : lots_) {
      if (lot.material >= kFirstPackaging || lot.supplier < 0) continue;
      Reach& r = by_supplier_lot[{lot.supplier, lot.supplier_lot}];
      r.day = std::min(r.day, lot.day);
      for (int w : lot.consumers) {
        for (int f : wos_[w].lots) {
          if (lots_[f].shipped > 0) {
            r.orders.insert(w);
            break;
          }
        }
      }
    }
    const int middle = opt_.days / 2;
    const std::pair<int, std::string>* best = nullptr;
    auto score = [&](const Reach& r) {
      // Eligible lots first, then nearest the middle, then widest reach.
      const bool eligible = r.orders.size() >= 2;
      return std::tuple(eligible ? 1 : 0, eligible ? -std::abs(r.day - middle) : 0,
                        r.orders.size());
    };
    for (const auto& [key, reach] : by_supplier_lot) {
      if (best == nullptr || score(reach) > score(by_supplier_lot.at(*best))) best = &key;
    }
    if (best == nullptr) return;  // nothing was received (cannot happen: day 0 has trucks)
    summary_.recall_supplier = pid(kSuppliers[best->first].id);
    summary_.recall_supplier_lot = best->second;
    note(std::max(now_, end_ - minutes(5)), user(kQaManager), "recall-alert",
         "supplier=" + summary_.recall_supplier + " supplierLot=" + summary_.recall_supplier_lot +
             ": the grower reported E. coli O157:H7 positive on a pre-harvest test of this lot; "
             "scope a recall of every lot made from it and every shipment.");
  }

  // ------------------------------------------------------------ members

  const PlantOptions& opt_;
  std::ostream& out_;
  Rng rng_;
  Rng defect_rng_;  // scrap reasons and rework only
  Rng label_rng_;   // label counts only
  const TimeNs end_;
  std::string buf_;
  TimeNs now_ = 0;  // the latest occurredAt written
  TimeNs t_ = 0;    // the running event's time
  std::uint64_t commands_ = 0;
  std::vector<Pending> queue_;
  std::uint64_t queue_seq_ = 0;
  PlantSummary summary_;

  std::vector<std::string> material_ids_;  // prefixed, by global material index
  std::vector<std::string> machine_ids_;
  std::vector<Lot> lots_;
  std::vector<std::vector<int>> stock_;   // per material: lots, oldest first
  std::vector<std::int64_t> in_transit_;  // per material: ordered, not yet received
  std::vector<WorkOrder> wos_;
  std::vector<Machine> machines_;
  std::map<std::string, int> serials_;
  int last_deviation_day_ = -1;  // the plant day QA last escalated a label loss
  std::array<int, kSuppliers.size()> supplier_serial_{};
  std::array<std::int64_t, kPackaging.size()> weekly_packaging_{};
  std::array<int, 2> excursion_left_{};
  std::int64_t shift_cases_ = 0;
  int shift_pallets_ = 0;
  int shift_exceptions_ = 0;
  bool wilted_done_ = false;  // the one wash with heavy trimming (start_step)
};

}  // namespace

Result<PlantSummary> generate_plant(const PlantOptions& options, std::ostream& out) {
  if (options.days < 1 || options.days > kMaxPlantDays) {
    return std::unexpected(
        Error::invalid_argument("days", "must be between 1 and " + std::to_string(kMaxPlantDays)));
  }
  PlantSimulation sim(options, out);
  return sim.run();
}

}  // namespace custody::gen
