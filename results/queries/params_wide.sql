-- Question: the summary with one column per swept parameter.
--
-- SQL cannot make columns from data, so name the parameters here: one
-- max(CASE ...) per swept key (as in the config, e.g. 'train.nu'); value_num
-- is the value as a number (NULL when it is not one: use value then). The
-- params column keeps every swept parameter, so rows of different settings
-- never merge. `l2d report --format csv` does the same for every swept key.
--
--   sqlite3 -header -column results/my.db < results/queries/params_wide.sql
WITH p AS (
    SELECT run_id,
           max(CASE WHEN key = 'train.nu' THEN value_num END) AS nu,
           max(CASE WHEN key = 'cost.beta_scale' THEN value_num END) AS beta_scale
    FROM run_params GROUP BY run_id
)
SELECT s.experiment, s.method, p.nu, p.beta_scale, s.split, s.attack, s.metric, s.n, s.mean, s.var,
       s.params
FROM v_summary s JOIN p ON p.run_id = s.first_run
ORDER BY s.first_run, s.split, s.attack, s.metric;
