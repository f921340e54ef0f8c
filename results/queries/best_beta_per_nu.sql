-- Question: for each nu (train.nu), which beta_scale (cost.beta_scale) gives
-- the lowest mean test deferral risk?
--
-- Per experiment, method and setting of the other swept parameters (others:
-- the run's params without train.nu and cost.beta_scale; '' when there are
-- none), so nothing is pooled over another swept parameter. The risk is the
-- metric 'risk' on split 'test', attack 'clean', averaged over seeds; ties go
-- to the smaller beta_scale. Only finished runs count.
--
--   sqlite3 -header -column results/my.db < results/queries/best_beta_per_nu.sql
WITH per_run AS (
    SELECT vm.experiment, vm.method, vm.value AS risk,
           nu.value AS nu, nu.value_num AS nu_num,
           beta.value AS beta_scale, beta.value_num AS beta_num,
           trim(replace(replace(';' || vm.params || ';', ';train.nu=' || nu.value || ';', ';'),
                        ';cost.beta_scale=' || beta.value || ';', ';'), ';') AS others
    FROM v_metrics vm
    JOIN run_params nu ON nu.run_id = vm.run_id AND nu.key = 'train.nu'
    JOIN run_params beta ON beta.run_id = vm.run_id AND beta.key = 'cost.beta_scale'
    WHERE vm.split = 'test' AND vm.attack = 'clean' AND vm.metric = 'risk'
), per_beta AS (
    SELECT experiment, method, others, nu, nu_num, beta_scale, beta_num,
           avg(risk) AS mean_risk, count(*) AS n
    FROM per_run GROUP BY experiment, method, others, nu, beta_scale
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY experiment, method, others, nu
                                 ORDER BY mean_risk, beta_num) AS rank
    FROM per_beta
)
SELECT experiment, method, nu, beta_scale AS best_beta_scale, mean_risk, n, others
FROM ranked
WHERE rank = 1
ORDER BY experiment, method, others, nu_num, nu;
