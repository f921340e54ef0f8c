-- Question: how does the allocation to each agent change with beta_scale?
--
-- The allocation to agent J is the fraction of test points the rejector sends
-- to it (view v_allocation: split 'test', attack 'clean'), next to the
-- agent's name and the oracle's allocation. One row per experiment, method,
-- setting of the other swept parameters (others: the run's params without
-- cost.beta_scale, e.g. 'train.nu=1'), beta_scale and agent, with the mean
-- over seeds and the number of runs: nothing is pooled over another swept
-- parameter.
--
--   sqlite3 -header -column results/my.db < results/queries/allocation_vs_beta.sql
WITH alloc AS (
    SELECT a.experiment_id, a.experiment, a.method, beta.value AS beta_scale,
           beta.value_num AS beta_num,
           trim(replace(';' || a.params || ';', ';cost.beta_scale=' || beta.value || ';', ';'), ';')
               AS others,
           a.agent_index, a.agent, a.alloc, a.oracle_alloc, a.run_id
    FROM v_allocation a
    JOIN run_params beta ON beta.run_id = a.run_id AND beta.key = 'cost.beta_scale'
    WHERE a.split = 'test' AND a.attack = 'clean'
)
SELECT experiment, method, others, beta_scale, agent_index, agent,
       avg(alloc) AS mean_alloc, avg(oracle_alloc) AS mean_oracle_alloc, count(*) AS n
FROM alloc
GROUP BY experiment_id, method, others, beta_scale, agent_index
ORDER BY experiment, method, min(run_id), beta_num, agent_index;
