-- Question: where did each experiment's runs run, and how long did they take?
--
-- One row per experiment, method and device (with its name and CUDA, cuDNN
-- versions: NULL on the CPU, and for runs recorded before schema version 2),
-- with the runs done and failed there and the mean wall time of a done run,
-- in seconds: CPU against GPU for the same cells.
--
--   sqlite3 -header -column results/my.db < results/queries/runs_by_device.sql
SELECT e.name AS experiment, r.method, r.device, r.device_name, r.cuda_driver, r.cuda_runtime,
       r.cudnn, sum(r.status = 'done') AS done, sum(r.status = 'failed') AS failed,
       avg(CASE WHEN r.status = 'done' THEN r.seconds END) AS mean_seconds
FROM runs r JOIN experiments e ON e.id = r.experiment_id
GROUP BY e.id, r.method, r.device, r.device_name, r.cuda_driver, r.cuda_runtime, r.cudnn
ORDER BY e.id, r.method, r.device, r.device_name;
