// Writes control results (CSV, the format `semaforo results --results`
// reads) for the outcome lines of `semaforo eval` in the file named by the
// first argument, to stdout. Deterministic, made up for the browser check:
// every declaration off green and every fourth on green was controlled; a
// third of those had a finding; every seventh was overridden to red
// ("intelligence"), every eleventh released without a control ("capacity").
import { readFileSync } from "node:fs";

const lines = readFileSync(process.argv[2], "utf8").split("\n").filter(Boolean);
const out = ["id,lane,override_lane,override_reason,finding,finding_type,revenue,office,date"];
lines.forEach((line, i) => {
  const o = JSON.parse(line);
  if (!o.id || !o.lane) return;
  if (o.lane === "green" && i % 4 !== 0) return;
  const office = o.id.slice(0, 4);
  let [over, reason, finding] = ["", "", i % 3 === 0 ? "yes" : "no"];
  if (i % 11 === 0) [over, reason, finding] = ["green", "capacity", ""];
  else if (i % 7 === 0) [over, reason] = ["red", "intelligence"];
  const [type, revenue] = finding === "yes" ? ["valuation", `${(i * 37) % 900}.50`] : ["", ""];
  const day = String(1 + (i % 20)).padStart(2, "0");
  out.push([o.id, o.lane, over, reason, finding, type, revenue, office, `2026-12-${day}`].join(","));
});
process.stdout.write(out.join("\n") + "\n");
