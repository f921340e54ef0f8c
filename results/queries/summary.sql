-- Question: what did one experiment find, averaged over seeds?
--
-- v_summary: one row per method, swept parameters (params, seed left out),
-- split, attack and metric, with the number of seeds n, the mean and the
-- sample standard deviation (NULL for one seed), in the order the sweep ran.
-- std needs an sqlite3 built with math functions (Debian's is); otherwise
-- select var, the variance, instead.
--
-- Parameter :experiment (its name); without it, the latest experiment.
--   sqlite3 -header -column results/my.db ".param set :experiment sweep" \
--       ".read results/queries/summary.sql"
SELECT experiment, method, params, split, attack, metric, n, mean, std
FROM v_summary
WHERE experiment = coalesce(:experiment, (SELECT name FROM experiments ORDER BY id DESC LIMIT 1))
ORDER BY first_run, split, attack, metric;
