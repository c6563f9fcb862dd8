mod common;

use persona_core::{Actor, Batch, Identity, Kind, Persona, Query, Store, WriteMode};

#[tokio::test(flavor = "multi_thread")]
async fn smoke() {
    let Some(store) = common::store().await else {
        return;
    };
    let persona = Persona::new("A", "t", "p");
    let mut identity = Identity::new(persona.id.clone(), "Ann Lee");
    identity.description = "Hello world".into();
    let mut batch = Batch::new(Actor::new("me"));
    batch.put(persona.clone(), WriteMode::Create).unwrap();
    batch.put(identity.clone(), WriteMode::Create).unwrap();
    let out = store.apply(batch).await.unwrap();
    assert_eq!(out.len(), 2);
    let got = store
        .get(Kind::Identity, identity.id.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, out[1]);
    let mut batch = Batch::new(Actor::new("me"));
    let mut updated = identity.clone();
    updated.name = "Ann Lea".into();
    batch
        .put(updated, WriteMode::Update(persona_core::Version(1)))
        .unwrap();
    store.apply(batch).await.unwrap();
    let versions = store
        .versions(Kind::Identity, identity.id.as_str())
        .await
        .unwrap();
    assert_eq!(versions.len(), 2);
    let page = store.query(&Query::new().text("hello")).await.unwrap();
    assert_eq!(page.items.len(), 1);
    let audit = store.audit(&Default::default()).await.unwrap();
    assert_eq!(audit.iter().map(|a| a.seq).collect::<Vec<_>>(), [1, 2, 3]);
    store.drop_schema().await.unwrap();
}
