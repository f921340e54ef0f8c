-- Question: how did one run train? Its losses and risks per epoch, on the
-- training and validation splits; '*' marks the epoch kept (lowest
-- validation risk). NULL: not measured.
--
-- Parameter :run_id (runs.id); without it, the latest finished run.
--   sqlite3 -header -column results/my.db ".param set :run_id 3" \
--       ".read results/queries/learning_curve.sql"
-- (or edit the literal below in place of :run_id)
SELECT e.run_id, e.epoch, e.train_loss, e.train_risk, e.val_loss, e.val_risk, e.seconds,
       CASE WHEN e.epoch = r.best_epoch THEN '*' ELSE '' END AS best
FROM epochs e JOIN runs r ON r.id = e.run_id
WHERE e.run_id = coalesce(:run_id, (SELECT max(id) FROM runs WHERE status = 'done'))
ORDER BY e.epoch;
