#include "cli/table.h"

#include <boost/json.hpp>
#include <cstdio>
#include <vector>

#include "custody/common/encoding.h"

namespace custody::cli {
namespace {

namespace json = boost::json;

bool scalar(const json::value& v) {
  return !v.is_object() && !v.is_array();
}

// Columns that are for machines (hashes, chain links); tables leave them out.
bool machine_column(std::string_view key) {
  return key == "hash" || key == "prevHash" || key == "payloadDigest" || key == "streamPrevSeq" ||
         key == "streamVersion" || key == "stream";
}

std::string cell(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "";
    case json::kind::bool_:
      return v.as_bool() ? "yes" : "no";
    case json::kind::int64:
      return std::to_string(v.as_int64());
    case json::kind::uint64:
      return std::to_string(v.as_uint64());
    case json::kind::double_: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.10g", v.as_double());
      return buf;
    }
    case json::kind::string:
      return printable(v.as_string());
    case json::kind::array:
      return "[" + std::to_string(v.as_array().size()) + "]";
    case json::kind::object:
      return "{...}";
  }
  return "";
}

void table(const json::array& rows, const std::string& indent, std::string& out) {
  std::vector<std::string> columns;
  for (const auto& row : rows) {
    if (!row.is_object()) continue;
    for (const auto& m : row.as_object()) {
      if (!scalar(m.value()) || machine_column(m.key())) continue;
      const std::string k(m.key());
      if (std::find(columns.begin(), columns.end(), k) == columns.end()) columns.push_back(k);
    }
  }
  if (columns.empty()) {
    out += indent + "(none)\n";
    return;
  }
  std::vector<std::vector<std::string>> cells;
  std::vector<std::string> headers;
  for (const auto& c : columns) headers.push_back(printable(c));
  std::vector<std::size_t> width(columns.size());
  for (std::size_t c = 0; c < columns.size(); ++c) width[c] = headers[c].size();
  for (const auto& row : rows) {
    if (!row.is_object()) continue;
    std::vector<std::string> line;
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const auto* v = row.as_object().if_contains(columns[c]);
      line.push_back(v ? cell(*v) : "");
      if (line.back().size() > 60) line.back() = line.back().substr(0, 57) + "...";
      width[c] = std::max(width[c], line.back().size());
    }
    cells.push_back(std::move(line));
  }
  auto emit = [&](const std::vector<std::string>& line) {
    out += indent;
    for (std::size_t c = 0; c < line.size(); ++c) {
      out += line[c];
      if (c + 1 < line.size()) out += std::string(width[c] - line[c].size() + 2, ' ');
    }
    out += '\n';
  };
  emit(headers);
  std::vector<std::string> rule;
  for (auto w : width) rule.emplace_back(w, '-');
  emit(rule);
  for (const auto& line : cells) emit(line);
}

void render(const json::value& v, const std::string& indent, std::string& out) {
  if (v.is_array()) {
    table(v.as_array(), indent, out);
    return;
  }
  if (!v.is_object()) {
    out += indent + cell(v) + "\n";
    return;
  }
  for (const auto& m : v.as_object()) {
    if (m.value().is_array() && m.value().as_array().empty()) {
      out += indent + printable(m.key()) + ": (none)\n";
    } else if (scalar(m.value())) {
      out += indent + printable(m.key()) + ": " + cell(m.value()) + "\n";
    } else if (m.value().is_array() && !m.value().as_array().empty() &&
               !m.value().as_array()[0].is_object()) {
      std::string joined;
      for (const auto& e : m.value().as_array()) joined += (joined.empty() ? "" : ", ") + cell(e);
      out += indent + printable(m.key()) + ": " + joined + "\n";
    } else {
      out += indent + printable(m.key()) + ":\n";
      render(m.value(), indent + "  ", out);
    }
  }
}

}  // namespace

std::string render_table(std::string_view text) {
  boost::system::error_code ec;
  const auto v = json::parse(text, ec);
  if (ec) return std::string(text) + "\n";
  std::string out;
  render(v, "", out);
  return out;
}

}  // namespace custody::cli
