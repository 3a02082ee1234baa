-- The label and metadata index rows referred to their sample, so every row written
-- made PostgreSQL look the sample up. Planned for the literal dataset id, that lookup
-- chose any index leading with dataset_id when the dataset was newer than the table's
-- statistics (an import into a new dataset): a scan of the dataset's rows for each
-- index row, about 3,000 samples/s importing. They now refer to their dataset (a
-- small table); the store deletes a sample's index rows with the sample.
alter table sample_labels drop constraint sample_labels_dataset_id_sample_id_fkey;
alter table sample_labels add constraint sample_labels_dataset_fkey
    foreign key (dataset_id) references datasets (id) on delete cascade;
alter table sample_metadata drop constraint sample_metadata_dataset_id_sample_id_fkey;
alter table sample_metadata add constraint sample_metadata_dataset_fkey
    foreign key (dataset_id) references datasets (id) on delete cascade;
