-- A results database of schema version 2, made by l2d at commit d136474 (main):
--   l2d run t/data/e2e/sweep.ini --db v2.db --set experiment.seeds=0 --set agent.model.epochs=1 --set train.epochs=2
-- (4 done runs); t/migrate_v2.sh runs the same sweep with another seed on it.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE experiments (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    config_text  TEXT NOT NULL,
    config_hash  TEXT NOT NULL,          -- 64-bit hash, 16 lower-case hex digits
    code_version TEXT NOT NULL,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (name, config_hash)
) STRICT;
INSERT INTO experiments VALUES(1,'e2e-sweep',replace('[experiment]\nname = e2e-sweep\nseeds = 0\n\n[dataset]\nplugin = synthetic\nn = 300\nfeatures = 4\nclasses = 3\nclusters = 3\n\n[agent.model]\nplugin = network\ntask = both\nhidden = 8\nepochs = 1\n\n[agent.expert1]\nplugin = cluster-expert\nz = 3\ncls_clusters = 1, 2\nreg_clusters = 1\nquery_cost = 0.1\n\n[agent.expert2]\nplugin = cluster-expert\nz = 3\ncls_clusters = 3\nreg_clusters = 2, 3\nquery_cost = 0.2\n\n[cost]\nlambda_cla = 1\nlambda_reg = 1\nreg = smooth_l1\n\n[rejector]\narch = mlp\nhidden = 8\n\n[train]\nsurrogate = ce\nepochs = 2\nbatch = 64\nlr = 0.01\n\n[sweep]\ncost.beta_scale = 0, 2\ntrain.nu = 0.5, 1\n','\n',char(10)),'30430b5cea64694b','0.1.0','2026-11-28T16:11:47Z');
CREATE TABLE experiment_plugins (
    experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    name          TEXT NOT NULL,
    version       TEXT NOT NULL,
    path          TEXT,
    UNIQUE (experiment_id, kind, name)
) STRICT;
INSERT INTO experiment_plugins VALUES(1,'dataset','synthetic','1.0','/work/main/plugins/.libs/synthetic.so');
INSERT INTO experiment_plugins VALUES(1,'agent','network','1.0','/work/main/plugins/.libs/network.so');
INSERT INTO experiment_plugins VALUES(1,'agent','cluster-expert','1.0','/work/main/plugins/.libs/cluster-expert.so');
INSERT INTO experiment_plugins VALUES(1,'surrogate','ce','1.0','/work/main/plugins/.libs/ce.so');
CREATE TABLE runs (
    id              INTEGER PRIMARY KEY,
    experiment_id   INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
    cell_id         TEXT NOT NULL,
    params          TEXT NOT NULL,
    method          TEXT NOT NULL,
    seed            INTEGER NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('done', 'failed')),
    error           TEXT,                -- why it failed; NULL when done
    device          TEXT,                -- 'cpu' or 'cuda:N'
    started_at      REAL,                -- Unix time, seconds
    finished_at     REAL,
    seconds         REAL,                -- wall time of the run
    best_epoch      INTEGER,             -- checkpoint kept (lowest validation risk)
    rejector_passes INTEGER,             -- rejector forward+backward passes (cost of training)
    -- since version 2 (NULL in runs recorded before):
    device_name     TEXT,                -- the CPU model, or the GPU's name ('NVIDIA H200')
    cuda_driver     TEXT,                -- CUDA version the driver supports ('12.8'); NULL on the CPU
    cuda_runtime    TEXT,                -- CUDA runtime version ('13.0'); NULL on the CPU
    cudnn           TEXT,                -- cuDNN version ('9.19.0'); NULL on the CPU
    UNIQUE (experiment_id, cell_id),
    CHECK ((status = 'done') = (error IS NULL))
) STRICT;
INSERT INTO runs VALUES(1,1,'cost.beta_scale=0;train.nu=0.5;seed=0','cost.beta_scale=0;train.nu=0.5','default',0,'done',NULL,'cpu',1795882307.385668993,1795882307.3862786293,0.0006096363067626953125,1,420,'AMD EPYC',NULL,NULL,NULL);
INSERT INTO runs VALUES(2,1,'cost.beta_scale=0;train.nu=1;seed=0','cost.beta_scale=0;train.nu=1','default',0,'done',NULL,'cpu',1795882307.394151926,1795882307.3943135738,0.000161647796630859375,1,420,'AMD EPYC',NULL,NULL,NULL);
INSERT INTO runs VALUES(3,1,'cost.beta_scale=2;train.nu=0.5;seed=0','cost.beta_scale=2;train.nu=0.5','default',0,'done',NULL,'cpu',1795882307.4030132293,1795882307.4032065868,0.0001933574676513671875,1,420,'AMD EPYC',NULL,NULL,NULL);
INSERT INTO runs VALUES(4,1,'cost.beta_scale=2;train.nu=1;seed=0','cost.beta_scale=2;train.nu=1','default',0,'done',NULL,'cpu',1795882307.4102210998,1795882307.4103658198,0.0001447200775146484375,1,420,'AMD EPYC',NULL,NULL,NULL);
CREATE TABLE run_params (
    run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key       TEXT NOT NULL,
    value     TEXT NOT NULL,
    value_num REAL,
    PRIMARY KEY (run_id, key)
) STRICT;
INSERT INTO run_params VALUES(1,'cost.beta_scale','0',0.0);
INSERT INTO run_params VALUES(1,'train.nu','0.5',0.5);
INSERT INTO run_params VALUES(2,'cost.beta_scale','0',0.0);
INSERT INTO run_params VALUES(2,'train.nu','1',1.0);
INSERT INTO run_params VALUES(3,'cost.beta_scale','2',2.0);
INSERT INTO run_params VALUES(3,'train.nu','0.5',0.5);
INSERT INTO run_params VALUES(4,'cost.beta_scale','2',2.0);
INSERT INTO run_params VALUES(4,'train.nu','1',1.0);
CREATE TABLE epochs (
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch      INTEGER NOT NULL,
    train_loss REAL,
    train_risk REAL,
    val_loss   REAL,
    val_risk   REAL,
    seconds    REAL,
    PRIMARY KEY (run_id, epoch)
) STRICT;
INSERT INTO epochs VALUES(1,1,15.444534519971011121,2.0592912295047374193,12.518790463280016211,1.4292885085010176293,3.6664999697677558287e-05);
INSERT INTO epochs VALUES(1,2,14.743366124292570873,1.964784259893678886,12.412276932555073472,1.4790208191586915464,3.017500011992524378e-05);
INSERT INTO epochs VALUES(2,1,11.20489622216968506,2.0592912295047374193,9.2234486858486590676,1.4292885085010176293,4.12220001635432709e-05);
INSERT INTO epochs VALUES(2,2,10.8960376490536337,1.9698682910117708555,9.1772507740743165527,1.4790208191586915464,2.357499988647759892e-05);
INSERT INTO epochs VALUES(3,1,17.14423150020828146,2.0640531342666421643,14.201669344075350309,1.4359551751676844499,4.3075000121461926028e-05);
INSERT INTO epochs VALUES(3,2,16.439025970351551109,1.9872233109543799844,14.101650882075789539,1.4923541524920247436,2.9443999665090814232e-05);
INSERT INTO epochs VALUES(4,1,12.467210196447199521,2.0640531342666421643,10.490413113241009668,1.4359551751676844499,3.0494999919028487056e-05);
INSERT INTO epochs VALUES(4,2,12.169939747103125426,1.9904025801677105445,10.449886206367569485,1.4923541524920247436,2.2492999960377346724e-05);
CREATE TABLE metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    split  TEXT NOT NULL,
    attack TEXT NOT NULL,
    name   TEXT NOT NULL,
    value  REAL NOT NULL,
    PRIMARY KEY (run_id, split, attack, name)
) STRICT;
INSERT INTO metrics VALUES(1,'train','clean','surrogate',14.832667719733944267);
INSERT INTO metrics VALUES(1,'train','clean','surrogate_gap',1.8227512725613883581);
INSERT INTO metrics VALUES(1,'val','clean','surrogate',12.518790463280016211);
INSERT INTO metrics VALUES(1,'val','clean','surrogate_gap',1.4401552079229191782);
INSERT INTO metrics VALUES(1,'val','clean','risk',1.4292885085010176293);
INSERT INTO metrics VALUES(1,'val','clean','accuracy',0.63333333333333330372);
INSERT INTO metrics VALUES(1,'val','clean','rmse',1.8056924349037801746);
INSERT INTO metrics VALUES(1,'val','clean','smooth_l1',1.062621841834350933);
INSERT INTO metrics VALUES(1,'val','clean','mae',1.5010975814114013715);
INSERT INTO metrics VALUES(1,'val','clean','alloc_0',0.96666666666666667406);
INSERT INTO metrics VALUES(1,'val','clean','alloc_1',0.03333333333333333287);
INSERT INTO metrics VALUES(1,'val','clean','alloc_2',0.0);
INSERT INTO metrics VALUES(1,'val','clean','oracle_risk',0.13493963634216088465);
INSERT INTO metrics VALUES(1,'val','clean','oracle_accuracy',0.93333333333333334813);
INSERT INTO metrics VALUES(1,'val','clean','oracle_rmse',0.37643748477973770771);
INSERT INTO metrics VALUES(1,'val','clean','oracle_smooth_l1',0.06827296967549421891);
INSERT INTO metrics VALUES(1,'val','clean','oracle_mae',0.15394590248664219434);
INSERT INTO metrics VALUES(1,'val','clean','oracle_alloc_0',0.2000000000000000111);
INSERT INTO metrics VALUES(1,'val','clean','oracle_alloc_1',0.36666666666666664076);
INSERT INTO metrics VALUES(1,'val','clean','oracle_alloc_2',0.43333333333333334813);
INSERT INTO metrics VALUES(1,'test','clean','surrogate',13.838611478737700366);
INSERT INTO metrics VALUES(1,'test','clean','surrogate_gap',1.5793333755305107857);
INSERT INTO metrics VALUES(1,'test','clean','risk',1.9365969140555785443);
INSERT INTO metrics VALUES(1,'test','clean','accuracy',0.5);
INSERT INTO metrics VALUES(1,'test','clean','rmse',2.340415024288922563);
INSERT INTO metrics VALUES(1,'test','clean','smooth_l1',1.4365969140555781002);
INSERT INTO metrics VALUES(1,'test','clean','mae',1.8766017078111569826);
INSERT INTO metrics VALUES(1,'test','clean','alloc_0',0.91666666666666662965);
INSERT INTO metrics VALUES(1,'test','clean','alloc_1',0.083333333333333328707);
INSERT INTO metrics VALUES(1,'test','clean','alloc_2',0.0);
INSERT INTO metrics VALUES(1,'test','clean','oracle_risk',0.13748539053132771692);
INSERT INTO metrics VALUES(1,'test','clean','oracle_accuracy',0.93333333333333334813);
INSERT INTO metrics VALUES(1,'test','clean','oracle_rmse',0.38269929043955852598);
INSERT INTO metrics VALUES(1,'test','clean','oracle_smooth_l1',0.070818723864661065059);
INSERT INTO metrics VALUES(1,'test','clean','oracle_mae',0.14116752098004023419);
INSERT INTO metrics VALUES(1,'test','clean','oracle_alloc_0',0.066666666666666665741);
INSERT INTO metrics VALUES(1,'test','clean','oracle_alloc_1',0.48333333333333333703);
INSERT INTO metrics VALUES(1,'test','clean','oracle_alloc_2',0.4500000000000000111);
INSERT INTO metrics VALUES(2,'train','clean','surrogate',10.93813171409073881);
INSERT INTO metrics VALUES(2,'train','clean','surrogate_gap',1.2386403490605992772);
INSERT INTO metrics VALUES(2,'val','clean','surrogate',9.2234486858486590676);
INSERT INTO metrics VALUES(2,'val','clean','surrogate_gap',0.97758766691651710623);
INSERT INTO metrics VALUES(2,'val','clean','risk',1.4292885085010176293);
INSERT INTO metrics VALUES(2,'val','clean','accuracy',0.63333333333333330372);
INSERT INTO metrics VALUES(2,'val','clean','rmse',1.8056924349037801746);
INSERT INTO metrics VALUES(2,'val','clean','smooth_l1',1.062621841834350933);
INSERT INTO metrics VALUES(2,'val','clean','mae',1.5010975814114013715);
INSERT INTO metrics VALUES(2,'val','clean','alloc_0',0.96666666666666667406);
INSERT INTO metrics VALUES(2,'val','clean','alloc_1',0.03333333333333333287);
INSERT INTO metrics VALUES(2,'val','clean','alloc_2',0.0);
INSERT INTO metrics VALUES(2,'val','clean','oracle_risk',0.13493963634216088465);
INSERT INTO metrics VALUES(2,'val','clean','oracle_accuracy',0.93333333333333334813);
INSERT INTO metrics VALUES(2,'val','clean','oracle_rmse',0.37643748477973770771);
INSERT INTO metrics VALUES(2,'val','clean','oracle_smooth_l1',0.06827296967549421891);
INSERT INTO metrics VALUES(2,'val','clean','oracle_mae',0.15394590248664219434);
INSERT INTO metrics VALUES(2,'val','clean','oracle_alloc_0',0.2000000000000000111);
INSERT INTO metrics VALUES(2,'val','clean','oracle_alloc_1',0.36666666666666664076);
INSERT INTO metrics VALUES(2,'val','clean','oracle_alloc_2',0.43333333333333334813);
INSERT INTO metrics VALUES(2,'test','clean','surrogate',10.199039909079893106);
INSERT INTO metrics VALUES(2,'test','clean','surrogate_gap',1.0693599718992308211);
INSERT INTO metrics VALUES(2,'test','clean','risk',1.9420149686056025206);
INSERT INTO metrics VALUES(2,'test','clean','accuracy',0.48333333333333333703);
INSERT INTO metrics VALUES(2,'test','clean','rmse',2.3354880124374912675);
INSERT INTO metrics VALUES(2,'test','clean','smooth_l1',1.4253483019389354691);
INSERT INTO metrics VALUES(2,'test','clean','mae',1.8586401997754971038);
INSERT INTO metrics VALUES(2,'test','clean','alloc_0',0.93333333333333334813);
INSERT INTO metrics VALUES(2,'test','clean','alloc_1',0.066666666666666665741);
INSERT INTO metrics VALUES(2,'test','clean','alloc_2',0.0);
INSERT INTO metrics VALUES(2,'test','clean','oracle_risk',0.13748539053132771692);
INSERT INTO metrics VALUES(2,'test','clean','oracle_accuracy',0.93333333333333334813);
INSERT INTO metrics VALUES(2,'test','clean','oracle_rmse',0.38269929043955852598);
INSERT INTO metrics VALUES(2,'test','clean','oracle_smooth_l1',0.070818723864661065059);
INSERT INTO metrics VALUES(2,'test','clean','oracle_mae',0.14116752098004023419);
INSERT INTO metrics VALUES(2,'test','clean','oracle_alloc_0',0.066666666666666665741);
INSERT INTO metrics VALUES(2,'test','clean','oracle_alloc_1',0.48333333333333333703);
INSERT INTO metrics VALUES(2,'test','clean','oracle_alloc_2',0.4500000000000000111);
INSERT INTO metrics VALUES(3,'train','clean','surrogate',16.52511138817780889);
INSERT INTO metrics VALUES(3,'train','clean','surrogate_gap',1.531746432813452019);
INSERT INTO metrics VALUES(3,'val','clean','surrogate',14.201669344075350309);
INSERT INTO metrics VALUES(3,'val','clean','surrogate_gap',1.2593197162128622057);
INSERT INTO metrics VALUES(3,'val','clean','risk',1.4359551751676844499);
INSERT INTO metrics VALUES(3,'val','clean','accuracy',0.63333333333333330372);
INSERT INTO metrics VALUES(3,'val','clean','rmse',1.8056924349037801746);
INSERT INTO metrics VALUES(3,'val','clean','smooth_l1',1.062621841834350933);
INSERT INTO metrics VALUES(3,'val','clean','mae',1.5010975814114013715);
INSERT INTO metrics VALUES(3,'val','clean','alloc_0',0.96666666666666667406);
INSERT INTO metrics VALUES(3,'val','clean','alloc_1',0.03333333333333333287);
INSERT INTO metrics VALUES(3,'val','clean','alloc_2',0.0);
INSERT INTO metrics VALUES(3,'val','clean','oracle_risk',0.37429788423340254466);
INSERT INTO metrics VALUES(3,'val','clean','oracle_accuracy',0.93333333333333334813);
INSERT INTO metrics VALUES(3,'val','clean','oracle_rmse',0.40876440940527747347);
INSERT INTO metrics VALUES(3,'val','clean','oracle_smooth_l1',0.080964550900069237604);
INSERT INTO metrics VALUES(3,'val','clean','oracle_mae',0.19314323316017786846);
INSERT INTO metrics VALUES(3,'val','clean','oracle_alloc_0',0.26666666666666666296);
INSERT INTO metrics VALUES(3,'val','clean','oracle_alloc_1',0.33333333333333331482);
INSERT INTO metrics VALUES(3,'val','clean','oracle_alloc_2',0.4000000000000000222);
INSERT INTO metrics VALUES(3,'test','clean','surrogate',15.528884963690755327);
INSERT INTO metrics VALUES(3,'test','clean','surrogate_gap',1.3432121744969776067);
INSERT INTO metrics VALUES(3,'test','clean','risk',1.9532635807222453738);
INSERT INTO metrics VALUES(3,'test','clean','accuracy',0.5);
INSERT INTO metrics VALUES(3,'test','clean','rmse',2.340415024288922563);
INSERT INTO metrics VALUES(3,'test','clean','smooth_l1',1.4365969140555781002);
INSERT INTO metrics VALUES(3,'test','clean','mae',1.8766017078111569826);
INSERT INTO metrics VALUES(3,'test','clean','alloc_0',0.91666666666666662965);
INSERT INTO metrics VALUES(3,'test','clean','alloc_1',0.083333333333333328707);
INSERT INTO metrics VALUES(3,'test','clean','alloc_2',0.0);
INSERT INTO metrics VALUES(3,'test','clean','oracle_risk',0.37371321218174391454);
INSERT INTO metrics VALUES(3,'test','clean','oracle_accuracy',0.93333333333333334813);
INSERT INTO metrics VALUES(3,'test','clean','oracle_rmse',0.43649784217882608983);
INSERT INTO metrics VALUES(3,'test','clean','oracle_smooth_l1',0.09037987884841083841);
INSERT INTO metrics VALUES(3,'test','clean','oracle_mae',0.20929172523319722332);
INSERT INTO metrics VALUES(3,'test','clean','oracle_alloc_0',0.23333333333333333703);
INSERT INTO metrics VALUES(3,'test','clean','oracle_alloc_1',0.4500000000000000111);
INSERT INTO metrics VALUES(3,'test','clean','oracle_alloc_2',0.31666666666666665186);
INSERT INTO metrics VALUES(4,'train','clean','surrogate',12.208710629196509956);
INSERT INTO metrics VALUES(4,'train','clean','surrogate_gap',1.0330579590181168114);
INSERT INTO metrics VALUES(4,'val','clean','surrogate',10.490413113241009668);
INSERT INTO metrics VALUES(4,'val','clean','surrogate_gap',0.84103623171995800511);
INSERT INTO metrics VALUES(4,'val','clean','risk',1.4359551751676844499);
INSERT INTO metrics VALUES(4,'val','clean','accuracy',0.63333333333333330372);
INSERT INTO metrics VALUES(4,'val','clean','rmse',1.8056924349037801746);
INSERT INTO metrics VALUES(4,'val','clean','smooth_l1',1.062621841834350933);
INSERT INTO metrics VALUES(4,'val','clean','mae',1.5010975814114013715);
INSERT INTO metrics VALUES(4,'val','clean','alloc_0',0.96666666666666667406);
INSERT INTO metrics VALUES(4,'val','clean','alloc_1',0.03333333333333333287);
INSERT INTO metrics VALUES(4,'val','clean','alloc_2',0.0);
INSERT INTO metrics VALUES(4,'val','clean','oracle_risk',0.37429788423340254466);
INSERT INTO metrics VALUES(4,'val','clean','oracle_accuracy',0.93333333333333334813);
INSERT INTO metrics VALUES(4,'val','clean','oracle_rmse',0.40876440940527747347);
INSERT INTO metrics VALUES(4,'val','clean','oracle_smooth_l1',0.080964550900069237604);
INSERT INTO metrics VALUES(4,'val','clean','oracle_mae',0.19314323316017786846);
INSERT INTO metrics VALUES(4,'val','clean','oracle_alloc_0',0.26666666666666666296);
INSERT INTO metrics VALUES(4,'val','clean','oracle_alloc_1',0.33333333333333331482);
INSERT INTO metrics VALUES(4,'val','clean','oracle_alloc_2',0.4000000000000000222);
INSERT INTO metrics VALUES(4,'test','clean','surrogate',11.469841886779001072);
INSERT INTO metrics VALUES(4,'test','clean','surrogate_gap',0.8935788468117721317);
INSERT INTO metrics VALUES(4,'test','clean','risk',1.9553483019389361619);
INSERT INTO metrics VALUES(4,'test','clean','accuracy',0.48333333333333333703);
INSERT INTO metrics VALUES(4,'test','clean','rmse',2.3354880124374912675);
INSERT INTO metrics VALUES(4,'test','clean','smooth_l1',1.4253483019389354691);
INSERT INTO metrics VALUES(4,'test','clean','mae',1.8586401997754971038);
INSERT INTO metrics VALUES(4,'test','clean','alloc_0',0.93333333333333334813);
INSERT INTO metrics VALUES(4,'test','clean','alloc_1',0.066666666666666665741);
INSERT INTO metrics VALUES(4,'test','clean','alloc_2',0.0);
INSERT INTO metrics VALUES(4,'test','clean','oracle_risk',0.37371321218174391454);
INSERT INTO metrics VALUES(4,'test','clean','oracle_accuracy',0.93333333333333334813);
INSERT INTO metrics VALUES(4,'test','clean','oracle_rmse',0.43649784217882608983);
INSERT INTO metrics VALUES(4,'test','clean','oracle_smooth_l1',0.09037987884841083841);
INSERT INTO metrics VALUES(4,'test','clean','oracle_mae',0.20929172523319722332);
INSERT INTO metrics VALUES(4,'test','clean','oracle_alloc_0',0.23333333333333333703);
INSERT INTO metrics VALUES(4,'test','clean','oracle_alloc_1',0.4500000000000000111);
INSERT INTO metrics VALUES(4,'test','clean','oracle_alloc_2',0.31666666666666665186);
CREATE TABLE agent_metrics (
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    agent_index INTEGER NOT NULL,
    agent_name  TEXT NOT NULL,
    split       TEXT NOT NULL,
    name        TEXT NOT NULL,
    value       REAL NOT NULL,
    PRIMARY KEY (run_id, agent_index, split, name)
) STRICT;
INSERT INTO agent_metrics VALUES(1,0,'model','test','risk',2.0230328909672943282);
INSERT INTO agent_metrics VALUES(1,0,'model','test','accuracy',0.4500000000000000111);
INSERT INTO agent_metrics VALUES(1,0,'model','test','rmse',2.3698361819034077235);
INSERT INTO agent_metrics VALUES(1,0,'model','test','smooth_l1',1.4730328909672938397);
INSERT INTO agent_metrics VALUES(1,0,'model','test','mae',1.9229914554705223039);
INSERT INTO agent_metrics VALUES(1,1,'expert1','test','risk',1.3690978366622834627);
INSERT INTO agent_metrics VALUES(1,1,'expert1','test','accuracy',0.76666666666666671847);
INSERT INTO agent_metrics VALUES(1,1,'expert1','test','rmse',2.1298106855388079239);
INSERT INTO agent_metrics VALUES(1,1,'expert1','test','smooth_l1',1.1357645033289500702);
INSERT INTO agent_metrics VALUES(1,1,'expert1','test','mae',1.4190491446604331926);
INSERT INTO agent_metrics VALUES(1,2,'expert2','test','risk',1.1112272924556776398);
INSERT INTO agent_metrics VALUES(1,2,'expert2','test','accuracy',0.59999999999999997779);
INSERT INTO agent_metrics VALUES(1,2,'expert2','test','rmse',1.6709355078199450428);
INSERT INTO agent_metrics VALUES(1,2,'expert2','test','smooth_l1',0.71122729245567761768);
INSERT INTO agent_metrics VALUES(1,2,'expert2','test','mae',0.90390397123992438643);
INSERT INTO agent_metrics VALUES(2,0,'model','test','risk',2.0230328909672943282);
INSERT INTO agent_metrics VALUES(2,0,'model','test','accuracy',0.4500000000000000111);
INSERT INTO agent_metrics VALUES(2,0,'model','test','rmse',2.3698361819034077235);
INSERT INTO agent_metrics VALUES(2,0,'model','test','smooth_l1',1.4730328909672938397);
INSERT INTO agent_metrics VALUES(2,0,'model','test','mae',1.9229914554705223039);
INSERT INTO agent_metrics VALUES(2,1,'expert1','test','risk',1.3690978366622834627);
INSERT INTO agent_metrics VALUES(2,1,'expert1','test','accuracy',0.76666666666666671847);
INSERT INTO agent_metrics VALUES(2,1,'expert1','test','rmse',2.1298106855388079239);
INSERT INTO agent_metrics VALUES(2,1,'expert1','test','smooth_l1',1.1357645033289500702);
INSERT INTO agent_metrics VALUES(2,1,'expert1','test','mae',1.4190491446604331926);
INSERT INTO agent_metrics VALUES(2,2,'expert2','test','risk',1.1112272924556776398);
INSERT INTO agent_metrics VALUES(2,2,'expert2','test','accuracy',0.59999999999999997779);
INSERT INTO agent_metrics VALUES(2,2,'expert2','test','rmse',1.6709355078199450428);
INSERT INTO agent_metrics VALUES(2,2,'expert2','test','smooth_l1',0.71122729245567761768);
INSERT INTO agent_metrics VALUES(2,2,'expert2','test','mae',0.90390397123992438643);
INSERT INTO agent_metrics VALUES(3,0,'model','test','risk',2.0230328909672943282);
INSERT INTO agent_metrics VALUES(3,0,'model','test','accuracy',0.4500000000000000111);
INSERT INTO agent_metrics VALUES(3,0,'model','test','rmse',2.3698361819034077235);
INSERT INTO agent_metrics VALUES(3,0,'model','test','smooth_l1',1.4730328909672938397);
INSERT INTO agent_metrics VALUES(3,0,'model','test','mae',1.9229914554705223039);
INSERT INTO agent_metrics VALUES(3,1,'expert1','test','risk',1.5690978366622849726);
INSERT INTO agent_metrics VALUES(3,1,'expert1','test','accuracy',0.76666666666666671847);
INSERT INTO agent_metrics VALUES(3,1,'expert1','test','rmse',2.1298106855388079239);
INSERT INTO agent_metrics VALUES(3,1,'expert1','test','smooth_l1',1.1357645033289500702);
INSERT INTO agent_metrics VALUES(3,1,'expert1','test','mae',1.4190491446604331926);
INSERT INTO agent_metrics VALUES(3,2,'expert2','test','risk',1.5112272924556795494);
INSERT INTO agent_metrics VALUES(3,2,'expert2','test','accuracy',0.59999999999999997779);
INSERT INTO agent_metrics VALUES(3,2,'expert2','test','rmse',1.6709355078199450428);
INSERT INTO agent_metrics VALUES(3,2,'expert2','test','smooth_l1',0.71122729245567761768);
INSERT INTO agent_metrics VALUES(3,2,'expert2','test','mae',0.90390397123992438643);
INSERT INTO agent_metrics VALUES(4,0,'model','test','risk',2.0230328909672943282);
INSERT INTO agent_metrics VALUES(4,0,'model','test','accuracy',0.4500000000000000111);
INSERT INTO agent_metrics VALUES(4,0,'model','test','rmse',2.3698361819034077235);
INSERT INTO agent_metrics VALUES(4,0,'model','test','smooth_l1',1.4730328909672938397);
INSERT INTO agent_metrics VALUES(4,0,'model','test','mae',1.9229914554705223039);
INSERT INTO agent_metrics VALUES(4,1,'expert1','test','risk',1.5690978366622849726);
INSERT INTO agent_metrics VALUES(4,1,'expert1','test','accuracy',0.76666666666666671847);
INSERT INTO agent_metrics VALUES(4,1,'expert1','test','rmse',2.1298106855388079239);
INSERT INTO agent_metrics VALUES(4,1,'expert1','test','smooth_l1',1.1357645033289500702);
INSERT INTO agent_metrics VALUES(4,1,'expert1','test','mae',1.4190491446604331926);
INSERT INTO agent_metrics VALUES(4,2,'expert2','test','risk',1.5112272924556795494);
INSERT INTO agent_metrics VALUES(4,2,'expert2','test','accuracy',0.59999999999999997779);
INSERT INTO agent_metrics VALUES(4,2,'expert2','test','rmse',1.6709355078199450428);
INSERT INTO agent_metrics VALUES(4,2,'expert2','test','smooth_l1',0.71122729245567761768);
INSERT INTO agent_metrics VALUES(4,2,'expert2','test','mae',0.90390397123992438643);
CREATE INDEX runs_by_method ON runs (experiment_id, method, params);
CREATE INDEX run_params_by_key ON run_params (key, value_num);
CREATE VIEW v_metrics AS
SELECT e.id AS experiment_id, e.name AS experiment, r.id AS run_id, r.cell_id, r.method,
       r.params, r.seed, m.split, m.attack, m.name AS metric, m.value, r.device, r.device_name
FROM metrics m JOIN runs r ON r.id = m.run_id JOIN experiments e ON e.id = r.experiment_id
WHERE r.status = 'done';
CREATE VIEW v_run_metrics AS
SELECT vm.*, p.key, p.value AS param_value, p.value_num
FROM v_metrics vm LEFT JOIN run_params p ON p.run_id = vm.run_id;
CREATE VIEW v_summary AS
WITH g AS (
    SELECT experiment_id, experiment, method, params, split, attack, metric,
           count(*) AS n, avg(value) AS mean, min(run_id) AS first_run,
           group_concat(DISTINCT device) AS devices
    FROM v_metrics GROUP BY experiment_id, method, params, split, attack, metric
), d AS (
    SELECT g.experiment_id, g.method, g.params, g.split, g.attack, g.metric,
           CASE WHEN g.n > 1 THEN sum((v.value - g.mean) * (v.value - g.mean)) / (g.n - 1) END AS var
    FROM g JOIN v_metrics v USING (experiment_id, method, params, split, attack, metric)
    GROUP BY g.experiment_id, g.method, g.params, g.split, g.attack, g.metric
)
SELECT g.experiment_id, g.experiment, g.method, g.params, g.split, g.attack, g.metric,
       g.n, g.mean, d.var, sqrt(d.var) AS std, g.first_run, g.devices
FROM g JOIN d USING (experiment_id, method, params, split, attack, metric);
CREATE VIEW v_agent_summary AS
WITH a AS (
    SELECT r.experiment_id, r.method, r.params, am.agent_index, am.agent_name, am.split,
           am.name AS metric, am.value, r.id AS run_id
    FROM agent_metrics am JOIN runs r ON r.id = am.run_id WHERE r.status = 'done'
), g AS (
    SELECT experiment_id, method, params, agent_index, max(agent_name) AS agent_name, split,
           metric, count(*) AS n, avg(value) AS mean, min(run_id) AS first_run
    FROM a GROUP BY experiment_id, method, params, agent_index, split, metric
), d AS (
    SELECT g.experiment_id, g.method, g.params, g.agent_index, g.split, g.metric,
           CASE WHEN g.n > 1 THEN sum((a.value - g.mean) * (a.value - g.mean)) / (g.n - 1) END AS var
    FROM g JOIN a USING (experiment_id, method, params, agent_index, split, metric)
    GROUP BY g.experiment_id, g.method, g.params, g.agent_index, g.split, g.metric
)
SELECT g.experiment_id, e.name AS experiment, g.method, g.params, g.agent_index, g.agent_name,
       g.split, g.metric, g.n, g.mean, d.var, sqrt(d.var) AS std, g.first_run
FROM g JOIN d USING (experiment_id, method, params, agent_index, split, metric)
JOIN experiments e ON e.id = g.experiment_id;
COMMIT;
PRAGMA user_version = 2;
