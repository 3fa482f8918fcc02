#include "advnet/run/report.hpp"

#include "advnet/run/config.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "advnet/core/error.hpp"
#include "advnet/io/file.hpp"
#include "advnet/run/run_dir.hpp"

namespace advnet::run {

extern const char* const kUplotJs;
extern const char* const kUplotCss;

namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw Error(p.string() + ": cannot read");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      default: out += c;
    }
  }
  return out;
}

// The charts: a title and the metrics (keys of metrics.jsonl) drawn in it: the training statistics,
// one per validation metric (config.hpp's validation_metrics()), a 2-D mixture's mode coverage
// (eval.modes_every), the 1-D theory. Charts whose metrics
// the run did not log are left out.
const std::vector<std::pair<std::string, std::vector<std::string>>>& chart_specs() {
  static const std::vector<std::pair<std::string, std::vector<std::string>>> specs = [] {
    std::vector<std::pair<std::string, std::vector<std::string>>> s{
        {"Losses", {"d_loss", "g_loss"}},
        {"Mean discriminator output", {"d_real", "d_fake"}},
        {"Discriminator error rates", {"false_pos", "false_neg"}},
        {"Learning rate", {"lr"}},
        {"Momentum", {"momentum"}},
    };
    for (const ValidationMetric& m : validation_metrics()) s.push_back({m.title, {m.name}});
    s.push_back({"Modes captured", {"modes"}});
    s.push_back({"High-quality fraction and reverse KL over the modes", {"high_quality", "reverse_kl"}});
    s.push_back({"JSD(p_data || p_g) and max |D - D*|", {"jsd", "max_abs_d_minus_d_star"}});
    s.push_back({"C(G) = V(D*, G) and its minimum -log 4", {"c_g", "minus_log_4"}});
    s.push_back({"Throughput (examples/s)", {"examples_per_s"}});
    return s;
  }();
  return specs;
}

}  // namespace

std::string base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8) | uint8_t(in[i + 2]);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
  }
  if (i + 1 == in.size()) {
    const uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const uint32_t v = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
  }
  return out;
}

void write_report(const std::string& run_dir) {
  const fs::path dir(run_dir);
  const fs::path metrics_path = dir / "metrics.jsonl";
  // Completed epochs only, in order; a later line for the same epoch (after a resume) replaces it.
  std::map<int64_t, nlohmann::json> epochs;
  {
    std::ifstream in(metrics_path);
    if (!in) throw Error(metrics_path.string() + ": cannot read (is " + run_dir + " a run directory?)");
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      if (line.empty()) continue;
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(line);
      } catch (const nlohmann::json::exception&) {
        throw Error(metrics_path.string() + ":" + std::to_string(n) + ": not a JSON object");
      }
      if (!j.is_object() || !j.contains("epoch") || !j["epoch"].is_number_integer())
        throw Error(metrics_path.string() + ":" + std::to_string(n) + ": no integer 'epoch'");
      if (j.value("completed", true)) epochs[j["epoch"].get<int64_t>()] = j;
    }
  }
  const std::string config = fs::exists(dir / "config.toml") ? read_text(dir / "config.toml") : "";

  // Series as columns: x = epoch, one array per metric (null where an epoch did not log it).
  nlohmann::json data = nlohmann::json::object(), charts = nlohmann::json::array();
  std::vector<int64_t> xs;
  for (const auto& [e, j] : epochs) xs.push_back(e);
  data["epoch"] = xs;
  for (const auto& [title, keys] : chart_specs()) {
    nlohmann::json present = nlohmann::json::array();
    for (const std::string& k : keys) {
      nlohmann::json col = nlohmann::json::array();
      bool any = false;
      for (const auto& [e, j] : epochs) {
        if (j.contains(k) && j[k].is_number()) {
          col.push_back(j[k]);
          any = true;
        } else {
          col.push_back(nullptr);
        }
      }
      if (any) {
        data[k] = col;
        present.push_back(k);
      }
    }
    if (!present.empty()) charts.push_back({{"title", title}, {"keys", present}});
  }

  // Sample grids over time: at most 12, evenly spaced, always including the last.
  const std::vector<fs::path> grids = epoch_files(dir / "samples", ".png");
  std::vector<fs::path> shown;
  for (const size_t i : evenly_spaced(grids.size(), 12)) shown.push_back(grids[i]);

  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>advnet report: "
    << html_escape(dir.filename().string()) << "</title>\n<style>" << kUplotCss
    << "\nbody{font-family:sans-serif;margin:24px;color:#222}h1{font-size:22px}h2{font-size:17px;margin-top:28px}"
       ".charts{display:flex;flex-wrap:wrap;gap:18px}.chart{border:1px solid #ddd;padding:6px}"
       ".grids{display:flex;flex-wrap:wrap;gap:12px}.grids figure{margin:0;text-align:center;font-size:12px}"
       ".grids img{image-rendering:pixelated;width:300px}pre{background:#f6f6f6;padding:10px;font-size:12px;overflow:auto}"
       "#errors{color:#b00}</style>\n<script>"
    << kUplotJs << "</script>\n</head><body>\n<h1>advnet training report: " << html_escape(dir.filename().string())
    << "</h1>\n<p>" << epochs.size() << " epochs logged. Generated by <code>advnet report</code> from metrics.jsonl, "
    << "samples/ and config.toml; self-contained, opens offline.</p>\n<div id=\"errors\"></div>\n"
    << "<h2>Metrics over training</h2>\n<div class=\"charts\" id=\"charts\"></div>\n";
  if (!shown.empty()) {
    h << "<h2>Samples over training (fixed noise)</h2>\n<div class=\"grids\">\n";
    for (const fs::path& p : shown)
      h << "<figure><img alt=\"" << p.stem().string() << "\" src=\"data:image/png;base64," << base64(read_text(p))
        << "\"><figcaption>" << p.stem().string() << "</figcaption></figure>\n";
    h << "</div>\n";
  }
  h << "<h2>Configuration</h2>\n<pre>" << html_escape(config) << "</pre>\n<script>\n"
    << "window.onerror = (m) => { document.getElementById('errors').textContent += 'error: ' + m + '\\n'; };\n"
    << "const DATA = " << data.dump() << ";\nconst CHARTS = " << charts.dump() << ";\n"
    << R"JS(const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
for (const c of CHARTS) {
  const div = document.createElement('div');
  div.className = 'chart';
  div.dataset.title = c.title;
  div.dataset.points = DATA.epoch.length;
  div.dataset.series = c.keys.length;
  document.getElementById('charts').appendChild(div);
  const series = [{label: 'epoch'}].concat(c.keys.map((k, i) => ({label: k, stroke: COLOURS[i % 4], width: 1.5, spanGaps: true})));
  new uPlot({title: c.title, width: 520, height: 260, series: series, scales: {x: {time: false}},
             axes: [{label: 'epoch'}, {size: 70}]},
            [DATA.epoch].concat(c.keys.map(k => DATA[k])), div);
}
document.body.dataset.charts = CHARTS.length;
document.body.dataset.ready = '1';
</script>
</body></html>
)JS";
  io::write_file_atomic((dir / "report.html").string(), h.str());
}

}  // namespace advnet::run
