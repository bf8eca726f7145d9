//! `civitas node run`: the supervisor. It restores the state, starts the network, the API, the
//! slot clock and the state thread, and stops them all together — on SIGINT/SIGTERM, or as soon
//! as a critical part (the state thread, the API server) fails.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::{anyhow, Context};
use civitas_consensus::{CoreConfig, LocalProducer, Params};
use civitas_network::{ChainStatus, NetConfig, Network};
use civitas_protocol::Name;
use civitas_rpc::{NodeInfo, RpcConfig, RpcState};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::config::NodeConfig;
use crate::datadir;
use crate::metrics::NodeMetrics;
use crate::pipeline;
use crate::state::{CoreMsg, StateLoop};
use crate::store::{StartFrom, Store, StoredBlocks};
use crate::sync::SyncState;

/// Command-line overrides of `config.toml`.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// The data directory.
    pub dir: PathBuf,
    /// Producers to sign for (replaces the configured list when not empty).
    pub producers: Vec<Name>,
    /// Peers to add to the configured ones.
    pub peers: Vec<String>,
    /// P2P listen address.
    pub p2p: Option<SocketAddr>,
    /// HTTP listen address.
    pub http: Option<SocketAddr>,
    /// Keystore password file.
    pub password_file: Option<PathBuf>,
    /// Truncate a damaged block log at the first bad record.
    pub repair: bool,
}

/// Runs a node until it is told to stop or fails.
pub fn run(opts: RunOptions) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("civitas").build()?;
    rt.block_on(run_async(opts))
}

async fn run_async(opts: RunOptions) -> anyhow::Result<()> {
    let dir = opts.dir.clone();
    let mut config = NodeConfig::load(&dir)?;
    if !opts.producers.is_empty() {
        config.producers = opts.producers.clone();
    }
    config.peers.extend(opts.peers.iter().cloned());
    if opts.p2p.is_some() {
        config.p2p_listen = opts.p2p;
    }
    if opts.http.is_some() {
        config.http_listen = opts.http;
    }
    let genesis = datadir::load_genesis(&dir.join(datadir::GENESIS_FILE))?;
    let keys = datadir::producer_keys(&dir, &config, &genesis, opts.password_file.as_deref())?;
    let identity_key = keys.first().map(|(_, k)| k.clone());
    let producers: Vec<LocalProducer> = keys.into_iter().map(|(n, k)| LocalProducer::new(n, k)).collect();
    let core_config = CoreConfig { producers, pool_size: config.pool_size, ..Default::default() };
    let (store, core, _report) = {
        let (dir, genesis, repair) = (dir.clone(), genesis.clone(), opts.repair);
        tokio::task::spawn_blocking(move || {
            Store::open(&dir, &genesis, core_config, repair, StartFrom::Checkpoint, crate::clock::now())
        })
        .await
        .map_err(|e| anyhow!("restoring the state panicked: {e}"))??
    };
    let params = Params::from_genesis(&genesis);
    let chain_id = genesis.chain_id();
    let status = ChainStatus {
        head_num: core.head().num,
        head_id: core.head().id,
        lib_num: core.lib().num,
        lib_id: core.lib().id,
    };
    info!(%chain_id, head = status.head_num, lib = status.lib_num, producers = ?config.producers, "node starting");
    let core = Arc::new(RwLock::new(core));
    let cancel = CancellationToken::new();
    let metrics = Arc::new(NodeMetrics::default());
    let (core_tx, core_rx) = mpsc::channel::<CoreMsg>(8192);

    let net = if config.p2p_listen.is_some() || !config.peers.is_empty() {
        let mut nc = NetConfig::new(chain_id, datadir::node_key(&dir)?);
        nc.listen_addr = config.p2p_listen;
        nc.advertise_addr = config.p2p_advertise.clone();
        nc.peers = config.peers.clone();
        nc.node_name = config.name.clone();
        nc.status = status;
        nc.ip_bans = config.ip_bans;
        if !config.learn_peers {
            nc.max_learned_addrs = 0;
        }
        nc.identity_key = identity_key;
        let (handle, events) =
            Network::start_with_cancel(nc, cancel.child_token()).await.context("starting the P2P network")?;
        let (block_tx, block_rx) = mpsc::channel(1024);
        let (trx_tx, trx_rx) = mpsc::channel(65_536);
        tokio::spawn(pipeline::route(events, core_tx.clone(), block_tx, trx_tx));
        tokio::spawn(pipeline::verify_blocks(block_rx, core_tx.clone(), chain_id, metrics.clone()));
        tokio::spawn(pipeline::verify_transactions(trx_rx, core_tx.clone(), chain_id, handle.clone(), metrics.clone()));
        if let Some(a) = handle.local_addr() {
            info!(p2p = %a, "listening for peers");
        }
        Some(handle)
    } else {
        None
    };

    let (events, _) = broadcast::channel(1024);
    let log = store.log.clone();
    let (submit_tx, mut submit_rx) = mpsc::channel(1024);
    {
        let core_tx = core_tx.clone();
        tokio::spawn(async move {
            while let Some(s) = submit_rx.recv().await {
                if core_tx.send(CoreMsg::Submit(s)).await.is_err() {
                    break;
                }
            }
        });
    }
    let mut http_task = None;
    if let Some(addr) = config.http_listen {
        let state = RpcState {
            core: core.clone(),
            submit: submit_tx,
            blocks: Arc::new(StoredBlocks { log }),
            info: NodeInfo { node_name: config.name.clone(), ..Default::default() },
            events: events.clone(),
            metrics: metrics.clone(),
            config: RpcConfig { cors_origins: config.cors_origins.clone(), ..Default::default() },
        };
        let listener =
            tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding the HTTP API to {addr}"))?;
        info!(http = %listener.local_addr()?, "HTTP API listening");
        let stop = cancel.clone();
        http_task = Some(tokio::spawn(civitas_rpc::serve(listener, state, stop.cancelled_owned())));
    }
    tokio::spawn(pipeline::ticks(params, core_tx.clone(), cancel.clone()));

    let state_loop = StateLoop {
        core: core.clone(),
        store,
        net: net.clone(),
        events,
        metrics,
        checkpoint_interval: config.checkpoint_interval,
        sync: SyncState::default(),
    };
    let (done_tx, mut done_rx) = oneshot::channel();
    std::thread::Builder::new().name("state".into()).spawn(move || {
        let r = state_loop.run(core_rx);
        let _ = done_tx.send(r);
    })?;

    let failure: Option<anyhow::Error> = tokio::select! {
        s = shutdown_signal() => { info!("{s}: shutting down"); None }
        r = &mut done_rx => Some(match r {
            Ok(Ok(())) => anyhow!("the state thread stopped unexpectedly"),
            Ok(Err(e)) => e.context("the state thread failed"),
            Err(_) => anyhow!("the state thread panicked"),
        }),
        r = async { match &mut http_task { Some(t) => t.await, None => std::future::pending().await } } => {
            Some(anyhow!("the HTTP API stopped: {r:?}"))
        }
    };
    cancel.cancel();
    if let Some(e) = failure {
        error!("{e:#}");
        return Err(e);
    }
    let _ = core_tx.send(CoreMsg::Shutdown).await;
    match tokio::time::timeout(Duration::from_secs(60), done_rx).await {
        Ok(Ok(r)) => r?,
        Ok(Err(_)) => warn!("the state thread ended without a report"),
        Err(_) => warn!("the state thread did not stop within 60 s"),
    }
    info!("stopped");
    Ok(())
}

async fn shutdown_signal() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        return std::future::pending::<&'static str>().await;
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    }
}
