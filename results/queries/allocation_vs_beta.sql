-- Question: how does the allocation to each agent change with beta_scale?
--
-- The allocation to agent J is the fraction of test points the rejector sends
-- to it: metric 'alloc_J' on split 'test', attack 'clean'. One row per
-- experiment, method, beta_scale (cost.beta_scale) and agent, with the mean
-- over seeds (and over any other swept parameter) and the number of runs.
-- The agent's name comes from its own metrics (agent_metrics), when stored.
--
--   sqlite3 -header -column results/my.db < results/queries/allocation_vs_beta.sql
WITH alloc AS (
    SELECT vm.experiment_id, vm.experiment, vm.method,
           beta.value AS beta_scale, beta.value_num AS beta_num,
           CAST(substr(vm.metric, 7) AS INTEGER) AS agent_index, vm.value
    FROM v_metrics vm
    JOIN run_params beta ON beta.run_id = vm.run_id AND beta.key = 'cost.beta_scale'
    WHERE vm.split = 'test' AND vm.attack = 'clean' AND vm.metric GLOB 'alloc_[0-9]*'
)
SELECT a.experiment, a.method, a.beta_scale, a.agent_index,
       (SELECT max(am.agent_name) FROM agent_metrics am JOIN runs r ON r.id = am.run_id
        WHERE r.experiment_id = a.experiment_id AND am.agent_index = a.agent_index) AS agent,
       avg(a.value) AS mean_alloc, count(*) AS n
FROM alloc a
GROUP BY a.experiment_id, a.method, a.beta_scale, a.agent_index
ORDER BY a.experiment, a.method, a.beta_num, a.agent_index;
