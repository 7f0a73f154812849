use super::*;

fn quick(seed: u64, fault: FaultKind) -> ScenarioSpec {
    ScenarioSpec { duration_secs: 3600, services: 8, ..ScenarioSpec::new(seed, fault) }
}

#[test]
fn fault_kinds_round_trip_their_names() {
    for k in FaultKind::ALL {
        assert_eq!(FaultKind::parse(k.as_str()), Some(k));
    }
    assert_eq!(FaultKind::parse("nope"), None);
}

#[test]
fn topology_is_a_dag_with_every_service_reachable() {
    for seed in 0..20 {
        let s = generate(&quick(seed, FaultKind::ALL[seed as usize % 8]));
        let names: Vec<&str> = s.services.iter().map(|x| x.name.as_str()).collect();
        let pos = |n: &str| names.iter().position(|x| *x == n).unwrap();
        for (a, b) in &s.edges {
            assert!(pos(a) < pos(b), "edge {a} -> {b} goes backwards");
        }
        for svc in &s.services[1..] {
            assert!(s.edges.iter().any(|(_, b)| *b == svc.name), "{} has no caller", svc.name);
            assert!((1..=2).contains(&svc.regions.len()), "{:?}", svc.regions);
        }
        assert!(s.service(&s.truth.root_service).is_some());
    }
}

#[test]
fn seeds_vary_topology_and_timing() {
    let a = generate(&quick(1, FaultKind::BadDeploy));
    let b = generate(&quick(2, FaultKind::BadDeploy));
    assert!(a.edges != b.edges || a.truth.onset != b.truth.onset || a.truth.root_service != b.truth.root_service);
}

#[test]
fn bad_deploy_changes_version_shortly_before_onset() {
    let s = generate(&quick(7, FaultKind::BadDeploy));
    let root = &s.truth.root_service;
    let deploy = s
        .logs
        .iter()
        .find(|l| l.resource.service.as_deref() == Some(root) && l.attributes.get("event.name").is_some())
        .expect("a deploy log on the root");
    let lead = s.truth.onset - deploy.timestamp;
    assert!(lead > Duration::zero() && lead <= Duration::minutes(6), "deploy {lead} before onset");
    let before = deploy.attributes["deploy.version.previous"].as_str().unwrap();
    assert_ne!(deploy.resource.version.as_deref(), Some(before));
}

#[test]
fn memory_leak_and_disk_full_reach_the_limit() {
    let s = generate(&quick(3, FaultKind::MemoryLeak));
    let max = s
        .metrics
        .iter()
        .filter(|m| m.name == "process.memory.utilization" && m.labels["service"] == s.truth.root_service)
        .map(|m| m.value)
        .fold(0.0, f64::max);
    assert!(max > 0.95, "{max}");
    let s = generate(&quick(3, FaultKind::DiskFull));
    let onset = s.truth.onset;
    assert!(s.metrics.iter().any(|m| m.name == "system.filesystem.utilization"
        && m.labels["service"] == s.truth.root_service
        && m.timestamp > onset
        && m.value >= 0.999));
}

#[test]
fn pool_exhaustion_pins_the_pool_at_its_maximum() {
    let s = generate(&quick(5, FaultKind::PoolExhaustion));
    let onset = s.truth.onset;
    assert!(s.metrics.iter().any(|m| m.name == "db.client.connections.usage"
        && m.labels["service"] == s.truth.root_service
        && m.timestamp > onset
        && m.value >= 50.0));
}
